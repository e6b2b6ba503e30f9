// Package mqtttest starts a real MQTT broker for tests and gives tests a
// small recording client.
//
// Start runs mosquitto on a free loopback port when the mosquitto binary
// is installed (CI installs it), otherwise zhub's embedded broker
// (mqttbridge.Broker); ZHUB_TEST_BROKER=embedded forces the embedded one.
// Either can be stopped and started again on the same port, to test what
// clients do when their broker restarts. Everything a test starts is
// stopped by t.Cleanup.
package mqtttest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/zhubhq/zhub/hub/mqttbridge"
)

// Kinds of broker Start runs.
const (
	KindMosquitto = "mosquitto"
	KindEmbedded  = "embedded"
)

// WaitTimeout bounds every wait of this package (a broker start, a
// message): a liveness bound, not a speed check.
const WaitTimeout = 20 * time.Second

// Mosquitto returns the path of the mosquitto binary, if installed (it
// lives in /usr/sbin on Debian, which is not always on PATH).
func Mosquitto() (string, bool) {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, true
	}
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, true
		}
	}
	return "", false
}

// Broker is a running (or stopped) broker on a fixed loopback port.
type Broker struct {
	// Kind is KindMosquitto or KindEmbedded.
	Kind string
	// Addr is host:port; it stays the same across Stop and Start.
	Addr string

	t    testing.TB
	dir  string
	path string // mosquitto binary

	mu      sync.Mutex
	running bool
	cmd     *exec.Cmd
	exited  chan struct{}
	cancel  context.CancelFunc
	done    chan error
}

// Start starts a broker and stops it at cleanup.
func Start(t testing.TB) *Broker {
	t.Helper()
	b := &Broker{t: t, dir: t.TempDir(), Kind: KindEmbedded}
	if p, ok := Mosquitto(); ok && os.Getenv("ZHUB_TEST_BROKER") != KindEmbedded {
		b.Kind, b.path = KindMosquitto, p
	}
	b.Addr = freeAddr(t)
	b.Start()
	t.Cleanup(b.Stop)
	return b
}

// URL is the broker's URL for clients (mqtt://127.0.0.1:port).
func (b *Broker) URL() string { return "mqtt://" + b.Addr }

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mqtttest: free port: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Start (re)starts the broker on its address and returns once it accepts
// connections. It does nothing when the broker runs.
func (b *Broker) Start() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running {
		return
	}
	switch b.Kind {
	case KindMosquitto:
		b.startMosquitto()
	default:
		b.startEmbedded()
	}
	b.running = true
}

func (b *Broker) startMosquitto() {
	b.t.Helper()
	_, port, _ := net.SplitHostPort(b.Addr)
	conf := filepath.Join(b.dir, "mosquitto.conf")
	// Persistence on: a restarted mosquitto brings back the retained
	// messages it had, stale ones included, as a production broker does.
	text := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location %s/\nautosave_interval 0\nmax_queued_messages 0\nlog_dest stderr\nlog_type error\nlog_type warning\nset_tcp_nodelay true\n",
		port, b.dir)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		b.t.Fatalf("mqtttest: write mosquitto.conf: %v", err)
	}
	cmd := exec.Command(b.path, "-c", conf)
	dieWithParent(cmd)
	logf, err := os.OpenFile(filepath.Join(b.dir, "mosquitto.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		b.t.Fatalf("mqtttest: mosquitto log: %v", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		b.t.Fatalf("mqtttest: start mosquitto: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logf.Close()
		close(exited)
	}()
	b.cmd, b.exited = cmd, exited
	if err := waitListening(b.Addr, exited); err != nil {
		log, _ := os.ReadFile(filepath.Join(b.dir, "mosquitto.log"))
		b.t.Fatalf("mqtttest: mosquitto on %s: %v\n%s", b.Addr, err, log)
	}
}

func (b *Broker) startEmbedded() {
	b.t.Helper()
	br, err := mqttbridge.NewBroker(mqttbridge.BrokerConfig{Listen: b.Addr})
	if err != nil {
		b.t.Fatalf("mqtttest: embedded broker: %v", err)
	}
	// The port was ours a moment ago (or the previous run's): retry the
	// bind briefly while the old socket goes away.
	deadline := time.Now().Add(WaitTimeout)
	for {
		err = br.Listen()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("mqtttest: embedded broker: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- br.Run(ctx) }()
	b.cancel, b.done = cancel, done
}

// waitListening polls addr until it accepts a connection (there is no
// event to wait on for another process's listener).
func waitListening(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(WaitTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("the broker exited")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening after %v: %w", WaitTimeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop stops the broker (mosquitto gets SIGTERM and saves its retained
// messages) and waits until it is gone. It does nothing when stopped.
func (b *Broker) Stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.running {
		return
	}
	b.running = false
	switch b.Kind {
	case KindMosquitto:
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.exited:
		case <-time.After(WaitTimeout):
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
	default:
		b.cancel()
		<-b.done
	}
}

// Message is one message a Client received.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool
	QoS      byte
}

// Client is a paho client that records every message it receives.
type Client struct {
	t testing.TB
	c paho.Client

	mu       sync.Mutex
	msgs     []Message
	connects int
	notify   chan struct{} // closed and replaced on every message and connect
}

// Connect connects a recording client to url and disconnects it at
// cleanup.
func Connect(t testing.TB, url, clientID string) *Client {
	t.Helper()
	c := &Client{t: t, notify: make(chan struct{})}
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(clientID).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(50 * time.Millisecond).
		SetMaxReconnectInterval(200 * time.Millisecond).SetCleanSession(true).
		SetDefaultPublishHandler(c.record).SetOnConnectHandler(c.connected)
	c.c = paho.NewClient(opts)
	tok := c.c.Connect()
	if !tok.WaitTimeout(WaitTimeout) || tok.Error() != nil {
		t.Fatalf("mqtttest: connect %s: %v", url, tok.Error())
	}
	t.Cleanup(func() { c.c.Disconnect(100) })
	return c
}

func (c *Client) connected(paho.Client) {
	c.mu.Lock()
	c.connects++
	close(c.notify)
	c.notify = make(chan struct{})
	c.mu.Unlock()
}

// Connects returns how many times the client has connected.
func (c *Client) Connects() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connects
}

// WaitConnects waits until the client has connected at least n times.
func (c *Client) WaitConnects(n int) {
	c.t.Helper()
	timer := time.NewTimer(WaitTimeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		got, ch := c.connects, c.notify
		c.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			c.t.Fatalf("mqtttest: client connected %d times, want %d", got, n)
		}
	}
}

func (c *Client) record(_ paho.Client, m paho.Message) {
	c.mu.Lock()
	c.msgs = append(c.msgs, Message{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), Retained: m.Retained(), QoS: m.Qos()})
	close(c.notify)
	c.notify = make(chan struct{})
	c.mu.Unlock()
}

// Subscribe subscribes to filter at QoS 1 and waits for the SUBACK.
func (c *Client) Subscribe(filter string) {
	c.t.Helper()
	tok := c.c.Subscribe(filter, 1, nil)
	if !tok.WaitTimeout(WaitTimeout) || tok.Error() != nil {
		c.t.Fatalf("mqtttest: subscribe %s: %v", filter, tok.Error())
	}
}

// Publish publishes and waits for the broker's acknowledgement (QoS 1+).
func (c *Client) Publish(topic string, qos byte, retain bool, payload string) {
	c.t.Helper()
	tok := c.c.Publish(topic, qos, retain, payload)
	if !tok.WaitTimeout(WaitTimeout) || tok.Error() != nil {
		c.t.Fatalf("mqtttest: publish %s: %v", topic, tok.Error())
	}
}

// Paho returns the underlying client.
func (c *Client) Paho() paho.Client { return c.c }

// Mark returns a position in the record; WaitAfter looks after it.
func (c *Client) Mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// Messages returns a copy of every message received so far.
func (c *Client) Messages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.msgs...)
}

// Wait returns the first message (since the client connected) on topic
// that satisfies match (nil matches any), waiting for it when needed.
func (c *Client) Wait(topic string, match func(Message) bool) Message {
	c.t.Helper()
	return c.WaitAfter(0, topic, match)
}

// WaitAfter is Wait for messages received after mark.
func (c *Client) WaitAfter(mark int, topic string, match func(Message) bool) Message {
	c.t.Helper()
	m, err := c.TryWaitAfter(mark, topic, match, WaitTimeout)
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

// TryWaitAfter is WaitAfter returning an error after timeout instead of
// failing the test.
func (c *Client) TryWaitAfter(mark int, topic string, match func(Message) bool, timeout time.Duration) (Message, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	i := mark
	for {
		c.mu.Lock()
		for ; i < len(c.msgs); i++ {
			m := c.msgs[i]
			if (topic == "" || m.Topic == topic) && (match == nil || match(m)) {
				c.mu.Unlock()
				return m, nil
			}
		}
		ch := c.notify
		c.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return Message{}, fmt.Errorf("mqtttest: no matching message on %q within %v (%d messages received)", topic, timeout, c.Mark())
		}
	}
}

// Pub publishes one message the way a user would from a shell: with the
// real mosquitto_pub when it is installed, else with a short-lived paho
// client. It returns once the broker has the message (QoS 1).
func Pub(t testing.TB, url, topic, payload string) {
	t.Helper()
	if p, err := exec.LookPath("mosquitto_pub"); err == nil {
		host, port, err := net.SplitHostPort(url[len("mqtt://"):])
		if err != nil {
			t.Fatalf("mqtttest: url %s: %v", url, err)
		}
		if _, err := strconv.Atoi(port); err != nil {
			t.Fatalf("mqtttest: url %s: port: %v", url, err)
		}
		out, err := exec.Command(p, "-h", host, "-p", port, "-q", "1", "-t", topic, "-m", payload).CombinedOutput()
		if err != nil {
			t.Fatalf("mqtttest: mosquitto_pub -t %s: %v\n%s", topic, err, out)
		}
		return
	}
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("mqtttest-pub-%d", time.Now().UnixNano()))
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(WaitTimeout) || tok.Error() != nil {
		t.Fatalf("mqtttest: connect %s: %v", url, tok.Error())
	}
	defer c.Disconnect(100)
	if tok := c.Publish(topic, 1, false, payload); !tok.WaitTimeout(WaitTimeout) || tok.Error() != nil {
		t.Fatalf("mqtttest: publish %s: %v", topic, tok.Error())
	}
}

// HasMosquittoPub reports whether Pub uses the real mosquitto_pub.
func HasMosquittoPub() bool {
	_, err := exec.LookPath("mosquitto_pub")
	return err == nil
}
