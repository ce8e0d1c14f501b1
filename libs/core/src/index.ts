// @threadline/core: what every Threadline lib shares. Errors and their
// messages, the options problem collector, SQL quoting, the event channels,
// and the CLI output kit. It depends on no other Threadline lib.
export * from './threadline.error';
export * from './validate-options';
export * from './sql/quote';
export * from './events/threadline-events';
export * from './cli/command-output';
export * from './actor/actor-rules';
