package serve

import "os"

// Terraform keeps a provider's log lines only when TF_LOG or
// TF_LOG_PROVIDER asks for them, and otherwise reads and drops every one.
// Left to their defaults, the plugin SDK and the framework log each RPC at
// TRACE: at 1,000 resources that is most of the provider's CPU time during a
// plan, and writes that wait on terraform draining the pipe. So when nobody
// will read them, the SDK's and the provider's loggers are switched off. A
// level the user set for one of them is kept, and with TF_LOG or
// TF_LOG_PROVIDER set nothing changes.
var loggerLevelVariables = []string{
	"TF_LOG_SDK",              // terraform-plugin-go and the framework's root
	"TF_LOG_SDK_PROTO",        // the protocol server
	"TF_LOG_SDK_FRAMEWORK",    // the framework's own subsystem
	"TF_LOG_PROVIDER_OCUROOT", // this provider's tflog messages
}

// silenceLogsTerraformDrops applies the rule above to this process's
// environment, before the server reads it.
func silenceLogsTerraformDrops(getenv func(string) string, setenv func(string, string) error) {
	if getenv("TF_LOG") != "" || getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, name := range loggerLevelVariables {
		if getenv(name) == "" {
			_ = setenv(name, "OFF")
		}
	}
}

// SilenceUnreadLogs applies the rule above to the process environment.
func SilenceUnreadLogs() { silenceLogsTerraformDrops(os.Getenv, os.Setenv) }
