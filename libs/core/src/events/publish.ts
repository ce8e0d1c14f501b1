import { THREADLINE_EVENT_NAMES, threadlineEvents } from './threadline-events';

/** Publishes `event` on Threadline's channel `key`; building the event is the caller's, so only when someone listens. */
export function publish(key: keyof typeof THREADLINE_EVENT_NAMES, event: object): void {
  const channel = threadlineEvents[key];
  if (channel.hasSubscribers) channel.publish(event);
}
