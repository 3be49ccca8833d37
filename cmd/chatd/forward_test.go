package main

import "testing"

func TestAdvertiseURL(t *testing.T) {
	for _, tc := range []struct {
		cfg     Config
		want    string
		wantErr bool
	}{
		{cfg: Config{Addr: "127.0.0.1:3000"}, want: "http://127.0.0.1:3000"},
		{cfg: Config{Addr: "[::1]:3000", TLSCert: "c.pem"}, want: "https://[::1]:3000"},
		{cfg: Config{Addr: "chat-1.internal:8080"}, want: "http://chat-1.internal:8080"},
		{cfg: Config{Addr: ":8080"}},        // no host: off
		{cfg: Config{Addr: "0.0.0.0:8080"}}, // wildcard: off
		{cfg: Config{Addr: "[::]:8080"}},    // wildcard: off
		{cfg: Config{Addr: "127.0.0.1:0"}},  // port chosen at listen: off
		{cfg: Config{Addr: ":8080", AdvertiseURL: "http://10.0.0.5:8080/"}, want: "http://10.0.0.5:8080"},
		{cfg: Config{Addr: ":8080", AdvertiseURL: "https://chat.example/node1"}, want: "https://chat.example/node1"},
		{cfg: Config{Addr: ":8080", AdvertiseURL: "10.0.0.5:8080"}, wantErr: true},
		{cfg: Config{Addr: ":8080", AdvertiseURL: "ftp://10.0.0.5"}, wantErr: true},
		{cfg: Config{Addr: ":8080", AdvertiseURL: "http://u:p@10.0.0.5:8080"}, wantErr: true},
		{cfg: Config{Addr: ":8080", AdvertiseURL: "http://10.0.0.5:8080/?x=1"}, wantErr: true},
	} {
		got, why, err := advertiseURL(&tc.cfg)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("addr %q advertise %q: got %q, %v; want %q (error %v)", tc.cfg.Addr, tc.cfg.AdvertiseURL, got, err, tc.want, tc.wantErr)
		}
		if err == nil && got == "" && why == "" {
			t.Errorf("addr %q: forwarding off without a reason", tc.cfg.Addr)
		}
	}
}
