package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/zhubhq/zhub/zigbee/ezsp"
	"github.com/zhubhq/zhub/zigbee/znp"
)

func runDebug(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "decode" {
		fmt.Fprintln(stderr, "usage: zhub debug decode --proto znp|ezsp FILE")
		return exitUsage
	}
	fs := flag.NewFlagSet("zhub debug decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	proto := fs.String("proto", "znp", "protocol of the trace: znp or ezsp")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: zhub debug decode --proto znp|ezsp FILE  (FILE - reads standard input)")
		return exitUsage
	}
	var in io.Reader = os.Stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "zhub: %v\n", err)
			return exitFailed
		}
		defer f.Close()
		in = f
	}
	decode := map[string]func(io.Reader, io.Writer) error{"znp": znp.DecodeTrace, "ezsp": ezsp.DecodeTrace}[*proto]
	if decode != nil {
		if err := decode(in, stdout); err != nil {
			fmt.Fprintf(stderr, "zhub: %s: %v\n", fs.Arg(0), err)
			return exitFailed
		}
		return exitOK
	}
	fmt.Fprintf(stderr, "zhub: unknown protocol %q (allowed: znp, ezsp)\n", *proto)
	return exitUsage
}
