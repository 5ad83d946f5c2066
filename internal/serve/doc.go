// Package serve holds what the provider process needs around serving the
// provider, apart from the provider itself: ending cleanly on a signal or
// when terraform goes away (WatchTermination), the collector's pace and
// memory limit (ApplyGCPolicy), switching off logs terraform would drop
// (SilenceUnreadLogs), and the profiles a developer can ask for
// (StartProfiles). main calls each once before it serves.
package serve
