package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// cliCommands are the top-level commands shells complete.
const cliCommands = "serve status pair devices device group get set backup restore token logs chat completion config sim debug version help"

// groupCommands are zhub group's subcommands.
const groupCommands = "list add remove rename add-member remove-member set"

// runCompletion prints a shell completion script.
func runCompletion(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: zhub completion bash|zsh")
		return exitUsage
	}
	switch args[0] {
	case "bash":
		fmt.Fprint(stdout, bashCompletion)
	case "zsh":
		fmt.Fprint(stdout, zshCompletion)
	default:
		fmt.Fprintf(stderr, "zhub: no completion for %q (bash or zsh)\n", args[0])
		return exitUsage
	}
	return exitOK
}

// runCompleteDevices prints device names, one per line, for completion
// scripts; with --groups the group names instead, with --all both. It
// prints nothing when the daemon cannot be reached.
func runCompleteDevices(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCLI("zhub __complete-devices", "zhub __complete-devices [--groups|--all]", stdin, stdout, io.Discard)
	groups := c.fs.Bool("groups", false, "group names instead of device names")
	all := c.fs.Bool("all", false, "device and group names")
	if _, err := c.parse(args); err != nil {
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if !*groups || *all {
		devs, err := c.api().Devices(ctx)
		if err != nil {
			return exitFailed
		}
		for _, d := range devs {
			fmt.Fprintln(stdout, d.FriendlyName)
		}
	}
	if *groups || *all {
		gs, err := c.api().Groups(ctx)
		if err != nil {
			return exitFailed
		}
		for _, g := range gs {
			fmt.Fprintln(stdout, g.FriendlyName)
		}
	}
	return exitOK
}

const bashCompletion = `# bash completion for zhub; install with:
#   zhub completion bash | sudo tee /etc/bash_completion.d/zhub
_zhub() {
	local cur prev words cword
	_init_completion 2>/dev/null || { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
	if [[ $cword -eq 1 ]]; then
		COMPREPLY=($(compgen -W "` + cliCommands + `" -- "$cur"))
		return
	fi
	if [[ "$cur" == -* ]]; then
		COMPREPLY=($(compgen -W "--json --socket --config --duration --via --count --force --follow -n --out --yes --name --id --endpoint" -- "$cur"))
		return
	fi
	case "${words[1]}" in
	device)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "show rename remove interview" -- "$cur"))
		elif [[ $cword -eq 3 ]]; then
			COMPREPLY=($(compgen -W "$(zhub __complete-devices 2>/dev/null)" -- "$cur"))
		fi ;;
	group)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "` + groupCommands + `" -- "$cur"))
		elif [[ $cword -eq 3 && "${words[2]}" != add && "${words[2]}" != list ]]; then
			COMPREPLY=($(compgen -W "$(zhub __complete-devices --groups 2>/dev/null)" -- "$cur"))
		elif [[ $cword -eq 4 && "${words[2]}" == *-member ]]; then
			COMPREPLY=($(compgen -W "$(zhub __complete-devices 2>/dev/null)" -- "$cur"))
		fi ;;
	get)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "$(zhub __complete-devices 2>/dev/null)" -- "$cur"))
		fi ;;
	set)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "$(zhub __complete-devices --all 2>/dev/null)" -- "$cur"))
		fi ;;
	pair)
		if [[ "$prev" == --via ]]; then
			COMPREPLY=($(compgen -W "$(zhub __complete-devices 2>/dev/null)" -- "$cur"))
		fi ;;
	token)
		[[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "create list revoke" -- "$cur")) ;;
	completion)
		[[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "bash zsh" -- "$cur")) ;;
	config)
		[[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "check" -- "$cur")) ;;
	restore|backup)
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}
complete -F _zhub zhub
`

const zshCompletion = `#compdef zhub
# zsh completion for zhub; install with:
#   zhub completion zsh > "${fpath[1]}/_zhub"
_zhub() {
	local -a commands devices groups
	commands=(` + cliCommands + `)
	if (( CURRENT == 2 )); then
		_describe 'command' commands
		return
	fi
	devices=(${(f)"$(zhub __complete-devices 2>/dev/null)"})
	case "$words[2]" in
	device)
		if (( CURRENT == 3 )); then
			compadd show rename remove interview
		elif (( CURRENT == 4 )); then
			compadd -a devices
		fi ;;
	group)
		groups=(${(f)"$(zhub __complete-devices --groups 2>/dev/null)"})
		if (( CURRENT == 3 )); then
			compadd ` + groupCommands + `
		elif (( CURRENT == 4 )) && [[ "$words[3]" != (add|list) ]]; then
			compadd -a groups
		elif (( CURRENT == 5 )) && [[ "$words[3]" == *-member ]]; then
			compadd -a devices
		fi ;;
	get)
		(( CURRENT == 3 )) && compadd -a devices ;;
	set)
		groups=(${(f)"$(zhub __complete-devices --groups 2>/dev/null)"})
		(( CURRENT == 3 )) && compadd -a devices groups ;;
	pair)
		_arguments '--duration[seconds joining stays open]:seconds' '--via[router]:device:($devices)' '--count[exit after N devices]:count' '--json[print JSON]' ;;
	token)
		(( CURRENT == 3 )) && compadd create list revoke ;;
	completion)
		(( CURRENT == 3 )) && compadd bash zsh ;;
	restore|backup)
		_files ;;
	esac
}
_zhub "$@"
`
