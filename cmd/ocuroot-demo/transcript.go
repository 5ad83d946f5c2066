package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// transcript is where the demo writes: the console gets the story (the
// demo's own lines and the terraform lines consoleFilter picks), the log
// file every line, without color codes.
type transcript struct {
	mu      sync.Mutex
	console io.Writer
	log     io.Writer
	filter  consoleFilter
}

// say writes one of the demo's own lines to the console and the log.
func (t *transcript) say(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	line := fmt.Sprintf(format, args...)
	fmt.Fprintln(t.console, line)
	fmt.Fprintln(t.log, stripANSI(line))
}

// terraformOutput returns the writer for one terraform command's output.
func (t *transcript) terraformOutput() *terraformOutput {
	t.mu.Lock()
	t.filter.start()
	t.mu.Unlock()
	return &terraformOutput{t: t}
}

// terraformOutput splits a command's output into lines, sends each to the
// log and, when the filter keeps it, to the console, and keeps the text
// (without color codes) for the act's checks.
type terraformOutput struct {
	t       *transcript
	partial []byte
	text    strings.Builder
}

func (o *terraformOutput) Write(p []byte) (int, error) {
	o.partial = append(o.partial, p...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		o.line(string(o.partial[:i]))
		o.partial = o.partial[i+1:]
	}
}

// flush handles a last line without a newline.
func (o *terraformOutput) flush() {
	if len(o.partial) > 0 {
		o.line(string(o.partial))
		o.partial = nil
	}
}

func (o *terraformOutput) line(raw string) {
	plain := stripANSI(raw)
	o.text.WriteString(plain + "\n")
	t := o.t
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintln(t.log, plain)
	for _, shown := range t.filter.lines(raw) {
		fmt.Fprintln(t.console, shown)
	}
}

// isTerminal reports whether f is a terminal, where terraform's colors
// help; NO_COLOR turns them off anyway.
func isTerminal(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
