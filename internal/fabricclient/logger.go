package fabricclient

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/hyperledger/fabric-sdk-go/pkg/common/logging"
	"github.com/hyperledger/fabric-sdk-go/pkg/core/logging/api"
)

// The SDK's built-in logger prints to stdout, which would corrupt the one
// JSON object an Ansible module may print. Every SDK log line goes through
// sdkLogger instead: to stderr when FABRUN_SDK_LOG names a level (error,
// warning, info, debug), otherwise nowhere. The SDK allows one logger per
// process, installed before its first log line.

var initLogging sync.Once

// The SDK keeps the first logger it sees, and any SDK package (the
// chaincode packager, for one) may log before New runs: install ours first.
func init() { installLogger() }

var privateKeyPEM = regexp.MustCompile(`(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)`)

func installLogger() {
	initLogging.Do(func() {
		level := -1
		switch strings.ToLower(os.Getenv("FABRUN_SDK_LOG")) {
		case "error":
			level = int(api.ERROR)
		case "warning", "warn":
			level = int(api.WARNING)
		case "info":
			level = int(api.INFO)
		case "debug":
			level = int(api.DEBUG)
		}
		logging.Initialize(&sdkLogProvider{w: os.Stderr, level: level})
	})
}

type sdkLogProvider struct {
	mu    sync.Mutex
	w     io.Writer
	level int
}

func (p *sdkLogProvider) GetLogger(module string) api.Logger {
	return &sdkLogger{p: p, module: module}
}

type sdkLogger struct {
	p      *sdkLogProvider
	module string
}

func (l *sdkLogger) out(level api.Level, s string) {
	if int(level) > l.p.level {
		return
	}
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	// The SDK dumps its configuration at debug level, embedded keys included.
	s = privateKeyPEM.ReplaceAllString(s, "[private key redacted]")
	fmt.Fprintf(l.p.w, "[fabsdk %s] %s\n", l.module, strings.TrimRight(s, "\n"))
}

func (l *sdkLogger) Fatal(v ...interface{}) { l.Panic(v...) }
func (l *sdkLogger) Fatalf(format string, v ...interface{}) {
	l.Panicf(format, v...)
}
func (l *sdkLogger) Fatalln(v ...interface{}) { l.Panic(v...) }

// Panic keeps the SDK's contract (it does not return); the module protocol
// turns a panic into a failed task instead of a dead process.
func (l *sdkLogger) Panic(v ...interface{}) {
	s := fmt.Sprint(v...)
	l.out(api.CRITICAL, s)
	panic(s)
}
func (l *sdkLogger) Panicf(format string, v ...interface{}) {
	l.Panic(fmt.Sprintf(format, v...))
}
func (l *sdkLogger) Panicln(v ...interface{}) { l.Panic(v...) }

func (l *sdkLogger) Print(v ...interface{}) { l.out(api.INFO, fmt.Sprint(v...)) }
func (l *sdkLogger) Printf(format string, v ...interface{}) {
	l.out(api.INFO, fmt.Sprintf(format, v...))
}
func (l *sdkLogger) Println(v ...interface{}) { l.out(api.INFO, fmt.Sprintln(v...)) }
func (l *sdkLogger) Debug(v ...interface{})   { l.out(api.DEBUG, fmt.Sprint(v...)) }
func (l *sdkLogger) Debugf(format string, v ...interface{}) {
	l.out(api.DEBUG, fmt.Sprintf(format, v...))
}
func (l *sdkLogger) Debugln(v ...interface{}) { l.out(api.DEBUG, fmt.Sprintln(v...)) }
func (l *sdkLogger) Info(v ...interface{})    { l.out(api.INFO, fmt.Sprint(v...)) }
func (l *sdkLogger) Infof(format string, v ...interface{}) {
	l.out(api.INFO, fmt.Sprintf(format, v...))
}
func (l *sdkLogger) Infoln(v ...interface{}) { l.out(api.INFO, fmt.Sprintln(v...)) }
func (l *sdkLogger) Warn(v ...interface{})   { l.out(api.WARNING, fmt.Sprint(v...)) }
func (l *sdkLogger) Warnf(format string, v ...interface{}) {
	l.out(api.WARNING, fmt.Sprintf(format, v...))
}
func (l *sdkLogger) Warnln(v ...interface{}) { l.out(api.WARNING, fmt.Sprintln(v...)) }
func (l *sdkLogger) Error(v ...interface{})  { l.out(api.ERROR, fmt.Sprint(v...)) }
func (l *sdkLogger) Errorf(format string, v ...interface{}) {
	l.out(api.ERROR, fmt.Sprintf(format, v...))
}
func (l *sdkLogger) Errorln(v ...interface{}) { l.out(api.ERROR, fmt.Sprintln(v...)) }
