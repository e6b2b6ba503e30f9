package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/hub/mqttbridge"
	"github.com/zhubhq/zhub/ws"
)

// mqttRun is the daemon's MQTT side: the embedded broker when [mqtt] url
// is empty, and the bridge that connects the hub to the broker.
type mqttRun struct {
	d        *daemon
	broker   *mqttbridge.Broker // nil with an external broker or when off
	url      string             // what the bridge connects to
	password string
	enabled  bool
}

// listenMQTT prepares MQTT before the slow parts start: it binds the
// embedded broker's port, so that a clash is reported at once. A broker
// that cannot listen does not stop the daemon (the hub is useful without
// MQTT): /health shows the error.
func (d *daemon) listenMQTT() (*mqttRun, error) {
	m := d.cfg.MQTT
	log := d.log.With("module", "mqtt")
	r := &mqttRun{d: d, enabled: m.Enabled}
	if !m.Enabled {
		d.health.Set("mqtt", ws.StateDisabled, errors.New("mqtt.enabled is false"))
		log.Info("mqtt off (mqtt.enabled = false)", "event", "component_disabled", "component", "mqtt")
		return r, nil
	}
	pw, err := d.cfg.MQTTPassword()
	if err != nil {
		return nil, err
	}
	r.password = pw
	if m.URL != "" {
		r.url = m.URL
		d.health.SetDetail("mqtt", "broker", "external")
		return r, nil
	}
	b, err := mqttbridge.NewBroker(mqttbridge.BrokerConfig{Listen: m.Listen, Username: m.Username, Password: pw,
		Logger: d.log.With("module", "mqtt_broker")})
	if err != nil {
		return nil, fmt.Errorf("mqtt.listen: %w (set mqtt.username and mqtt.password_env, or listen on 127.0.0.1)", err)
	}
	if err := b.Listen(); err != nil {
		r.enabled = false
		err = fmt.Errorf("%w (another MQTT broker such as mosquitto on this port? change mqtt.listen or ZHUB_MQTT_LISTEN, or point mqtt.url at that broker)", err)
		d.health.Set("mqtt", ws.StateError, err)
		log.Error("embedded mqtt broker cannot listen; mqtt is off", "event", "mqtt_broker_failed", "err", err)
		return r, nil
	}
	r.broker = b
	r.url = "mqtt://" + dialAddr(b.Addr())
	d.health.SetDetail("mqtt", "broker", "embedded "+b.Addr().String())
	log.Info("embedded mqtt broker listening", "event", "component_ready", "component", "mqtt_broker", "on", "mqtt://"+b.Addr().String())
	return r, nil
}

// dialAddr is where a local client reaches a listener: loopback when it
// listens on every interface.
func dialAddr(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(ta.Port))
}

// start runs the broker and the bridge under g. Without a hub (coordinator
// disabled) only the broker runs.
func (r *mqttRun) start(ctx context.Context, g *errgroup.Group) error {
	if r == nil || !r.enabled {
		return nil
	}
	d, m := r.d, r.d.cfg.MQTT
	// The embedded broker outlives the bridge: it stops only once the bridge
	// has published "offline" and disconnected. Stopping both at once left
	// the bridge's last publish waiting on a vanished broker, past the 5 s
	// stop bound.
	stopBroker := func() {}
	if r.broker != nil {
		brokerCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stopBroker = cancel
		g.Go(func() error { return r.broker.Run(brokerCtx) })
	}
	if d.hub == nil {
		context.AfterFunc(ctx, stopBroker)
		d.health.Set("mqtt", ws.StateDisabled, errors.New("no hub (coordinator disabled): nothing to bridge"))
		return nil
	}
	br, err := mqttbridge.New(mqttbridge.Config{
		Hub: d.hub, URL: r.url, Username: m.Username, Password: r.password, ClientID: m.ClientID,
		BaseTopic: m.BaseTopic, Retain: m.Retain,
		HADiscovery: m.HADiscovery, HADiscoveryPrefix: m.HADiscoveryPrefix,
		Version: buildVersion(), Logger: d.log.With("module", "mqtt"),
		OnStatus: func(s mqttbridge.Status) {
			switch {
			case s.Connected && s.Online:
				d.health.Set("mqtt", ws.StateOK, nil)
			case s.Connected:
				d.health.Set("mqtt", ws.StateDegraded, errors.New("connected; bridge/state is offline while the Zigbee network is down"))
			case s.Err != nil:
				d.health.Set("mqtt", ws.StateDegraded, fmt.Errorf("not connected to the broker: %w", s.Err))
			default:
				d.health.Set("mqtt", ws.StateDegraded, errors.New("not connected to the broker"))
			}
		},
	})
	if err != nil {
		stopBroker()
		return err
	}
	d.health.SetDetail("mqtt", "base_topic", m.BaseTopic)
	g.Go(func() error {
		defer stopBroker()
		return br.Run(ctx)
	})
	return nil
}
