package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"carebridge"
)

func TestHashVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, pw := range []string{"correct horse battery", "pässwörd-ünïcode", strings.Repeat("x", 1024)} {
		enc, err := HashPassword(ctx, pw)
		if err != nil {
			t.Fatalf("HashPassword: %v", err)
		}
		ok, err := VerifyPassword(ctx, enc, pw)
		if err != nil || !ok {
			t.Errorf("VerifyPassword(right password) = %v, %v; want true, nil", ok, err)
		}
		ok, err = VerifyPassword(ctx, enc, pw+"!")
		if err != nil || ok {
			t.Errorf("VerifyPassword(wrong password) = %v, %v; want false, nil", ok, err)
		}
	}
}

func TestHashFormat(t *testing.T) {
	t.Parallel()
	enc, err := HashPassword(context.Background(), "some password")
	if err != nil {
		t.Fatal(err)
	}
	// 16-byte salt → 22 chars, 32-byte key → 43 chars, no padding.
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(enc) {
		t.Errorf("hash %q does not match %s", enc, re)
	}
}

func TestHashSalted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := HashPassword(ctx, "same password")
	if err != nil {
		t.Fatal(err)
	}
	b, err := HashPassword(ctx, "same password")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of the same password are equal: %q", a)
	}
}

// TestVerifyOtherParameters checks that parameters are read from the hash,
// so hashes made under other settings keep verifying.
func TestVerifyOtherParameters(t *testing.T) {
	t.Parallel()
	salt := []byte("0123456789abcdefghij") // 20 bytes
	const pw = "an older password"
	key := argon2.IDKey([]byte(pw), salt, 3, 8*1024, 2, 24)
	enc := fmt.Sprintf("$argon2id$v=19$m=8192,t=3,p=2$%s$%s",
		b64.EncodeToString(salt), b64.EncodeToString(key))
	ctx := context.Background()
	ok, err := VerifyPassword(ctx, enc, pw)
	if err != nil || !ok {
		t.Errorf("VerifyPassword(right password) = %v, %v; want true, nil", ok, err)
	}
	ok, err = VerifyPassword(ctx, enc, "another password")
	if err != nil || ok {
		t.Errorf("VerifyPassword(wrong password) = %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyRejectsMalformed(t *testing.T) {
	t.Parallel()
	salt := b64.EncodeToString([]byte("0123456789abcdef"))
	key := b64.EncodeToString(make([]byte, 32))
	hash := func(head string) string { return head + "$" + salt + "$" + key }
	tests := []struct {
		name, enc string
	}{
		{"empty", ""},
		{"garbage", "not a hash"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", hash("$argon2i$v=19$m=19456,t=2,p=1")},
		{"no leading dollar", hash("argon2id$v=19$m=19456,t=2,p=1")[1:]},
		{"old version", hash("$argon2id$v=16$m=19456,t=2,p=1")},
		{"no version", "$argon2id$m=19456,t=2,p=1$" + salt + "$" + key},
		{"params out of order", hash("$argon2id$v=19$t=2,m=19456,p=1")},
		{"missing param", hash("$argon2id$v=19$m=19456,t=2")},
		{"extra param", hash("$argon2id$v=19$m=19456,t=2,p=1,x=1")},
		{"non-numeric", hash("$argon2id$v=19$m=lots,t=2,p=1")},
		{"negative", hash("$argon2id$v=19$m=-1,t=2,p=1")},
		{"zero time", hash("$argon2id$v=19$m=19456,t=0,p=1")},
		{"zero threads", hash("$argon2id$v=19$m=19456,t=2,p=0")},
		{"memory over 64 MiB", hash("$argon2id$v=19$m=65537,t=2,p=1")},
		{"memory overflows uint32", hash("$argon2id$v=19$m=4294967296,t=2,p=1")},
		{"memory below 8 KiB per thread", hash("$argon2id$v=19$m=15,t=2,p=2")},
		{"time over 10", hash("$argon2id$v=19$m=19456,t=11,p=1")},
		{"threads over 16", hash("$argon2id$v=19$m=19456,t=2,p=17")},
		{"key too short", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + b64.EncodeToString(make([]byte, 15))},
		{"key too long", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + b64.EncodeToString(make([]byte, 65))},
		{"salt too short", "$argon2id$v=19$m=19456,t=2,p=1$" + b64.EncodeToString(make([]byte, 7)) + "$" + key},
		{"padded base64", hash("$argon2id$v=19$m=19456,t=2,p=1") + "="},
		{"bad base64", "$argon2id$v=19$m=19456,t=2,p=1$!!!!$" + key},
		{"trailing field", hash("$argon2id$v=19$m=19456,t=2,p=1") + "$x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := VerifyPassword(context.Background(), tt.enc, "whatever password")
			if err == nil || ok {
				t.Fatalf("VerifyPassword(%q) = %v, %v; want false, error", tt.enc, ok, err)
			}
			var cbErr *carebridge.Error
			if errors.As(err, &cbErr) {
				t.Errorf("malformed hash gave caller-facing error %v; want a plain error", err)
			}
		})
	}
}

// TestHashWaitsForSlot holds every hashing slot and checks that a hash
// blocked on the semaphore gives up with the context's error.
func TestHashWaitsForSlot(t *testing.T) {
	t.Parallel()
	if cap(slots) != runtime.GOMAXPROCS(0) {
		t.Errorf("cap(slots) = %d; want GOMAXPROCS = %d", cap(slots), runtime.GOMAXPROCS(0))
	}
	for range cap(slots) {
		slots <- struct{}{}
	}
	released := false
	releaseAll := func() {
		if !released {
			released = true
			for range cap(slots) {
				<-slots
			}
		}
	}
	defer releaseAll()

	// A context cancelled while the call waits for a slot.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := HashPassword(ctx, "some password")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("HashPassword with slots full and cancelled context: err = %v; want %v", err, context.Canceled)
	}

	// Already cancelled, through VerifyPassword.
	enc := encode(current, make([]byte, saltLen), make([]byte, current.keyLen))
	ok, err := VerifyPassword(ctx, enc, "some password")
	if ok || !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyPassword with slots full and cancelled context = %v, %v; want false, %v", ok, err, context.Canceled)
	}

	// A waiting hash proceeds once a slot frees up.
	go func() {
		_, err := HashPassword(context.Background(), "some password")
		done <- err
	}()
	releaseAll()
	if err := <-done; err != nil {
		t.Errorf("HashPassword after slots were freed: %v", err)
	}
}

func TestDummyVerify(t *testing.T) {
	t.Parallel()
	DummyVerify(context.Background(), "any password")
	DummyVerify(context.Background(), "another password")
	if _, _, _, err := decode(dummyHash); err != nil {
		t.Errorf("dummy hash %q does not parse: %v", dummyHash, err)
	}
	if !strings.HasPrefix(dummyHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("dummy hash %q does not use the current parameters", dummyHash)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	DummyVerify(ctx, "cancelled") // must return, not panic
}

func TestCheckPasswordPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
		wantMsg  string // "" means accepted
	}{
		{"empty", "", "The password must be at least 8 characters long."},
		{"seven chars", "abcdefg", "The password must be at least 8 characters long."},
		{"eight chars", "abcdefgh", ""},
		{"seven runes in more bytes", "ééééééé", "The password must be at least 8 characters long."},
		{"eight runes", "éééééééé", ""},
		{"spaces allowed", "with spaces in it", ""},
		{"1024 bytes", strings.Repeat("a", 1024), ""},
		{"1025 bytes", strings.Repeat("a", 1025), "The password must be at most 1024 bytes long."},
		{"1024 bytes over 512 runes", strings.Repeat("é", 512), ""},
		{"over 1024 bytes in fewer runes", strings.Repeat("é", 513), "The password must be at most 1024 bytes long."},
		{"NUL", "abcd\x00efgh", "The password must not contain a NUL character."},
		{"newline", "abcdefgh\n", "The password must not contain line breaks."},
		{"carriage return", "abcd\refgh", "The password must not contain line breaks."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckPasswordPolicy(tt.password)
			if tt.wantMsg == "" {
				if err != nil {
					t.Errorf("CheckPasswordPolicy = %v; want nil", err)
				}
				return
			}
			var cbErr *carebridge.Error
			if !errors.As(err, &cbErr) {
				t.Fatalf("CheckPasswordPolicy = %v; want *carebridge.Error", err)
			}
			if cbErr.Code != carebridge.EINVALID || cbErr.Message != tt.wantMsg {
				t.Errorf("CheckPasswordPolicy = {%s, %q}; want {%s, %q}", cbErr.Code, cbErr.Message, carebridge.EINVALID, tt.wantMsg)
			}
		})
	}
}
