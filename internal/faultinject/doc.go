// Package faultinject runs the real terraform against the built provider
// binary and kills or signals the processes mid-rollout: the faults that
// in-process acceptance tests cannot reach. Every test asserts what the
// recording demo target received and what the store kept.
//
// The package holds tests only. They need TF_ACC=1, a terraform binary
// (TF_ACC_TERRAFORM_PATH or PATH) and Linux, whose /proc they read to find
// the provider process terraform started; elsewhere they are not built.
package faultinject
