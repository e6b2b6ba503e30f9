package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zhubhq/zhub/hub/localapi"
)

const statusSynopsis = "zhub status [--json] [--socket PATH]"

// runStatus prints the daemon, the coordinator and the other components.
func runStatus(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub status", statusSynopsis, stdin, stdout, stderr)
	pos, err := c.parse(args)
	if err == nil {
		err = needArgs(pos, 0, 0, statusSynopsis)
	}
	if err != nil {
		return c.fail(err)
	}
	st, err := c.api().Status(ctx)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.fail(c.printJSON(st))
	}
	c.renderStatus(st, time.Now())
	return exitOK
}

func (c *cli) renderStatus(st localapi.Status, now time.Time) {
	d := st.Daemon
	fmt.Fprintf(c.stdout, "zhub %s %s (pid %d, up %s), socket %s\n", d.Version, d.State, d.PID,
		duration(time.Duration(d.UptimeS*float64(time.Second))), d.Socket)
	tw := newTable(c.stdout)
	if co := st.Coordinator; co != nil {
		state := "up"
		if !co.NetworkUp {
			state = "down"
			if comp, ok := st.Components["coordinator"]; ok && co.Error == "" && comp.State != "ok" {
				state = comp.State // "starting", or why it is degraded
				if comp.Error != "" {
					state += ": " + comp.Error
				}
			}
			if co.Error != "" {
				state += ": " + co.Error
			}
		}
		fmt.Fprintf(tw, "coordinator\t%s\t%s\n", state, coordinatorLine(*co))
		fmt.Fprintf(tw, "devices\t%d\t%d online, %d being interviewed\n", st.Devices.Total, st.Devices.Online, st.Devices.Interviewing)
		pj := "closed"
		if st.PermitJoin.Open {
			pj = fmt.Sprintf("open for %ds more", int(st.PermitJoin.Until.Sub(now).Seconds()))
			if st.PermitJoin.Via != "" {
				pj += " via " + st.PermitJoin.Via
			}
		}
		fmt.Fprintf(tw, "permit join\t%s\t\n", pj)
	} else {
		fmt.Fprintf(tw, "coordinator\tstarting\t\n")
	}
	for _, name := range sortedKeys(st.Components) {
		if name == "coordinator" && st.Coordinator != nil {
			continue
		}
		comp := st.Components[name]
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, comp.State, componentDetail(comp))
	}
	tw.Flush()
}

func coordinatorLine(co localapi.Coordinator) string {
	var parts []string
	if co.Firmware != "" {
		fw := co.Firmware
		if co.Protocol != "" {
			fw += " (" + co.Protocol + ")"
		}
		parts = append(parts, fw)
	}
	if co.Channel != 0 {
		parts = append(parts, fmt.Sprintf("channel %d", co.Channel))
	}
	if co.PANID != "" {
		parts = append(parts, "PAN "+co.PANID, "extended PAN "+co.ExtendedPANID)
	}
	if co.IEEE != "" {
		parts = append(parts, "IEEE "+co.IEEE)
	}
	return strings.Join(parts, ", ")
}

func componentDetail(comp localapi.Component) string {
	var parts []string
	if comp.Error != "" {
		parts = append(parts, comp.Error)
	}
	for _, k := range sortedKeys(comp.Detail) {
		parts = append(parts, k+" "+value(comp.Detail[k]))
	}
	return strings.Join(parts, ", ")
}
