package zmqevented

import (
	"bytes"
	"testing"
)

// FuzzParseCurveCertificate: any text either parses to valid keys that survive a
// write-and-read round trip, or fails with an error; it never panics.
func FuzzParseCurveCertificate(f *testing.F) {
	f.Add([]byte("metadata\ncurve\n    public-key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\n"))
	f.Add([]byte("public-key = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7'\nsecret-key = \"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\"\n"))
	f.Add([]byte("# comment only\n"))
	f.Add([]byte("public-key = \"\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kp, err := ParseCurveCertificate(data)
		if err != nil {
			return
		}
		if ValidateCurveKey(kp.Public) != nil || (kp.Secret != "" && ValidateCurveKey(kp.Secret) != nil) {
			t.Fatalf("parsed an invalid key: %+v", kp)
		}
		again, err := ParseCurveCertificate(certText(kp.Public, kp.Secret))
		if err != nil || again != kp {
			t.Fatalf("round trip: %+v -> %+v, %v", kp, again, err)
		}
	})
}

// FuzzCurveKey: a key ValidateCurveKey accepts decodes to 32 bytes that encode back to
// the same text.
func FuzzCurveKey(f *testing.F) {
	f.Add("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")
	f.Add("0000000000000000000000000000000000000000")
	f.Add("short")
	f.Fuzz(func(t *testing.T, key string) {
		if ValidateCurveKey(key) != nil {
			return
		}
		text, err := z85Key(z85Decode(key))
		if err != nil || text != key {
			t.Fatalf("%q -> %q, %v", key, text, err)
		}
	})
}

// FuzzZAPRequest: the ZAP handler's decoder and policy never panic and always answer
// with a status the RFC defines.
func FuzzZAPRequest(f *testing.F) {
	f.Add([]byte("1.0"), []byte("1"), []byte("127.0.0.1"), []byte("CURVE"), bytes.Repeat([]byte{7}, 32), []byte(nil))
	f.Add([]byte("1.0"), []byte("2"), []byte("10.0.0.1"), []byte("PLAIN"), []byte("admin"), []byte("pw"))
	f.Add([]byte("9.9"), []byte(""), []byte("::ffff:127.0.0.1"), []byte("NULL"), []byte(nil), []byte(nil))
	a, err := newAuthorizer(AuthPolicy{
		Deny: []string{"10.0.0.0/8"}, CurveKeys: []string{"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"},
		PlainUsers: map[string]string{"admin": "pw"},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, version, id, address, mechanism, cred1, cred2 []byte) {
		msg := [][]byte{version, id, []byte("domain"), address, []byte("identity"), mechanism}
		if cred1 != nil {
			msg = append(msg, cred1)
		}
		if cred2 != nil {
			msg = append(msg, cred2)
		}
		for n := 0; n <= len(msg); n++ {
			req, err := decodeZAPRequest(msg[:n])
			if err != nil {
				continue
			}
			code, _, _ := a.decide(req)
			if code != "200" && code != "400" {
				t.Fatalf("status %q", code)
			}
			if string(mechanism) == "CURVE" && code == "200" && string(address) == "10.0.0.1" {
				t.Fatal("a denied address got in")
			}
		}
	})
}

// FuzzParseMonitorEvent: the monitor decoder accepts exactly libzmq's two-frame format
// and never panics.
func FuzzParseMonitorEvent(f *testing.F) {
	f.Add([]byte{0x20, 0, 7, 0, 0, 0}, []byte("tcp://127.0.0.1:5555"), false)
	f.Add([]byte{1, 2, 3}, []byte(""), true)
	f.Fuzz(func(t *testing.T, head, endpoint []byte, extra bool) {
		msg := [][]byte{head, endpoint}
		if extra {
			msg = append(msg, nil)
		}
		ev, err := parseMonitorEvent(msg)
		if (err == nil) != (len(head) == 6 && !extra) {
			t.Fatalf("head %d bytes, extra %v: err %v", len(head), extra, err)
		}
		if err == nil && (ev.Endpoint != string(endpoint) || uint16(ev.Event) != uint16(head[0])|uint16(head[1])<<8) {
			t.Fatalf("decoded %+v from %x", ev, head)
		}
	})
}
