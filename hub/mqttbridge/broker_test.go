package mqttbridge_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/zhubhq/zhub/hub/mqttbridge"
	"github.com/zhubhq/zhub/hub/mqttbridge/mqtttest"
)

// runBroker starts an embedded broker on a free loopback port.
func runBroker(t *testing.T, cfg mqttbridge.BrokerConfig) *mqttbridge.Broker {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	b, err := mqttbridge.NewBroker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("broker Run: %v", err)
		}
	})
	return b
}

func TestNewBrokerConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     mqttbridge.BrokerConfig
		wantErr bool
	}{
		{"loopback without auth", mqttbridge.BrokerConfig{Listen: "127.0.0.1:1883"}, false},
		{"localhost without auth", mqttbridge.BrokerConfig{Listen: "localhost:1883"}, false},
		{"ipv6 loopback without auth", mqttbridge.BrokerConfig{Listen: "[::1]:1883"}, false},
		{"all interfaces without auth", mqttbridge.BrokerConfig{Listen: "0.0.0.0:1883"}, true},
		{"empty host without auth", mqttbridge.BrokerConfig{Listen: ":1883"}, true},
		{"lan address without auth", mqttbridge.BrokerConfig{Listen: "192.168.1.2:1883"}, true},
		{"all interfaces with auth", mqttbridge.BrokerConfig{Listen: "0.0.0.0:1883", Username: "ha", Password: "pw"}, false},
		{"username without password", mqttbridge.BrokerConfig{Listen: "127.0.0.1:1883", Username: "ha"}, true},
		{"no port", mqttbridge.BrokerConfig{Listen: "127.0.0.1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mqttbridge.NewBroker(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewBroker(%+v) = %v, want error %v", tt.cfg, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, mqttbridge.ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}

func TestBrokerPortClash(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	b, err := mqttbridge.NewBroker(mqttbridge.BrokerConfig{Listen: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Listen(); err == nil {
		t.Fatal("Listen on a taken port succeeded")
	}
}

func connect(t *testing.T, url, id, user, pass string) (paho.Client, error) {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetUsername(user).SetPassword(pass).
		SetConnectTimeout(5 * time.Second)
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(mqtttest.WaitTimeout) {
		return nil, errors.New("connect timed out")
	}
	if tok.Error() != nil {
		return nil, tok.Error()
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c, nil
}

func TestBrokerRetainedAndQoS1(t *testing.T) {
	b := runBroker(t, mqttbridge.BrokerConfig{})
	pub, err := connect(t, b.URL(), "pub", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if tok := pub.Publish("zhub/lamp", 1, true, `{"state":"ON"}`); !tok.WaitTimeout(mqtttest.WaitTimeout) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	// A client subscribing later gets the retained message.
	sub := mqtttest.Connect(t, b.URL(), "sub")
	sub.Subscribe("zhub/#")
	m := sub.Wait("zhub/lamp", nil)
	if !m.Retained || string(m.Payload) != `{"state":"ON"}` {
		t.Fatalf("got %+v, want the retained state", m)
	}
	// A live QoS 1 message arrives not retained.
	mark := sub.Mark()
	if tok := pub.Publish("zhub/lamp/set", 1, false, "OFF"); !tok.WaitTimeout(mqtttest.WaitTimeout) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	m = sub.WaitAfter(mark, "zhub/lamp/set", nil)
	if m.Retained || string(m.Payload) != "OFF" || m.QoS != 1 {
		t.Fatalf("got %+v, want a live QoS 1 OFF", m)
	}
}

func TestBrokerPassword(t *testing.T) {
	b := runBroker(t, mqttbridge.BrokerConfig{Username: "ha", Password: "s3cret"})
	tests := []struct {
		name, user, pass string
		ok               bool
	}{
		{"right credentials", "ha", "s3cret", true},
		{"wrong password", "ha", "nope", false},
		{"wrong user", "root", "s3cret", false},
		{"anonymous", "", "", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := connect(t, b.URL(), "c"+string(rune('a'+i)), tt.user, tt.pass)
			if (err == nil) != tt.ok {
				t.Fatalf("connect as %q: err=%v, want ok=%v", tt.user, err, tt.ok)
			}
		})
	}
}

// TestHelperRestart checks the helper's broker restarts on the same port
// and that a client with auto-reconnect comes back.
func TestHelperRestart(t *testing.T) {
	br := mqtttest.Start(t)
	t.Logf("broker: %s on %s", br.Kind, br.Addr)
	c := mqtttest.Connect(t, br.URL(), "restart-client")
	c.Subscribe("t/#")
	br.Stop()
	br.Start()
	// The client reconnects by itself (clean session: it must subscribe
	// again).
	c.WaitConnects(2)
	c.Subscribe("t/#")
	mqtttest.Pub(t, br.URL(), "t/x", "hello")
	if m := c.Wait("t/x", nil); string(m.Payload) != "hello" {
		t.Fatalf("got %q", m.Payload)
	}
}

// TestBrokerSubscribeAfterRetainedBurst: a client that subscribes twice in
// a row, the first filter bringing a burst of retained QoS 1 messages, gets
// both subscriptions (mochi-mqtt alone refuses the second when its packet
// id equals an unacknowledged retained message's; see packetIDHook).
func TestBrokerSubscribeAfterRetainedBurst(t *testing.T) {
	for _, n := range []int{1, 3, 40, 400} {
		t.Run(fmt.Sprint(n, " retained"), func(t *testing.T) {
			b := runBroker(t, mqttbridge.BrokerConfig{})
			p := mqtttest.Connect(t, b.URL(), "pub")
			for i := range n {
				p.Publish(fmt.Sprintf("homeassistant/sensor/x%d/config", i), 1, true, "{}")
			}
			c := mqtttest.Connect(t, b.URL(), "ha")
			c.Subscribe("homeassistant/#")
			c.Subscribe("zhub/#")
			p.Publish("zhub/lamp", 1, false, "on")
			c.Wait("zhub/lamp", nil)
			got := 0
			for _, m := range c.Messages() {
				if m.Retained {
					got++
				}
			}
			if got != n {
				t.Fatalf("%d retained messages, want %d", got, n)
			}
		})
	}
}
