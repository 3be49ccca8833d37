package loadgen

import (
	"time"
)

// window measures CPU and memory between its start and end: the generator's own, the
// servers' (summed) and the watched processes' (one by one).
type window struct {
	self             cpuSample
	servers, watched []procProbe
	start, stop      time.Time
	hook             func(event string) error // Options.OnWindow
	hookErr          error                    // of the "start" call
}

// procProbe follows one process over a window.
type procProbe struct {
	pid int
	cpu cpuSample
	mem memSample
	err error // of the first sample: the process is then left out
}

// startWindow calls o.OnWindow("start"), then samples the generator, the servers of
// o.ServerPIDs and the processes of o.WatchPIDs.
func startWindow(o Options) *window {
	w := &window{hook: o.OnWindow}
	if w.hook != nil {
		w.hookErr = w.hook("start")
	}
	w.start, w.self = time.Now(), selfCPU()
	for _, pid := range o.ServerPIDs {
		w.servers = append(w.servers, startProbe(pid))
	}
	for _, pid := range o.WatchPIDs {
		w.watched = append(w.watched, startProbe(pid))
	}
	return w
}

func startProbe(pid int) procProbe {
	p := procProbe{pid: pid}
	p.cpu, p.err = procCPU(pid)
	if p.err == nil {
		p.mem, p.err = procMem(pid)
	}
	return p
}

// end samples p again and returns the process's usage over the window.
func (p procProbe) end() (ProcessUsage, error) {
	if p.err != nil {
		return ProcessUsage{}, p.err
	}
	cpu, err := procCPU(p.pid)
	if err != nil {
		return ProcessUsage{}, err
	}
	mem, err := procMem(p.pid)
	if err != nil {
		return ProcessUsage{}, err
	}
	return ProcessUsage{
		PID: p.pid, CPUPercent: cpuPercent(p.cpu, cpu),
		RSSStartKB: p.mem.rss, RSSEndKB: mem.rss, RSSPeakKB: mem.peak,
	}, nil
}

// end samples again, fills res.Seconds, res.Generator, res.Server, res.Servers and
// res.Watched, then calls the hook with "end". A process that could not be sampled is
// counted as an error; a server that could not leaves res.Server out, since a partial
// sum would mislead.
func (w *window) end(res *Result, errs *errorCounts) {
	w.stop = time.Now()
	res.Seconds = round(w.stop.Sub(w.start).Seconds(), 3)
	res.Generator.CPUPercent = cpuPercent(w.self, selfCPU())
	servers, complete := endAll(w.servers, "server_probe", errs)
	if len(servers) > 0 && complete {
		res.Server = sumUsage(servers)
		if len(servers) > 1 {
			res.Servers = servers
		}
	}
	res.Watched, _ = endAll(w.watched, "watch_probe", errs)
	if w.hook != nil {
		for _, err := range []error{w.hookErr, w.hook("end")} {
			if err != nil {
				errs.add("window_hook", 1, err.Error())
			}
		}
	}
}

// endAll ends every probe; complete is false when one of them failed, which is
// counted in errs as kind.
func endAll(probes []procProbe, kind string, errs *errorCounts) (usages []ProcessUsage, complete bool) {
	complete = true
	for _, p := range probes {
		u, err := p.end()
		if err != nil {
			errs.add(kind, 1, err.Error())
			complete = false
			continue
		}
		usages = append(usages, u)
	}
	return usages, complete
}

// sumUsage adds up the usage of several processes: CPU in percent of one core, RSS in
// KiB. The peaks are summed too, an upper bound of the processes' joint peak. The PID
// is kept only when there is one process.
func sumUsage(usages []ProcessUsage) *ProcessUsage {
	sum := &ProcessUsage{}
	for _, u := range usages {
		sum.CPUPercent += u.CPUPercent
		sum.RSSStartKB += u.RSSStartKB
		sum.RSSEndKB += u.RSSEndKB
		sum.RSSPeakKB += u.RSSPeakKB
	}
	sum.CPUPercent = round(sum.CPUPercent, 1)
	if len(usages) == 1 {
		sum.PID = usages[0].PID
	}
	return sum
}

// elapsed returns the length of the window.
func (w *window) elapsed() time.Duration { return w.stop.Sub(w.start) }
