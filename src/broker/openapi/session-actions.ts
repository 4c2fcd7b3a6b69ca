/**
 * The actions that read or act on the broker's live connections (API reference, `onsmqtt` 2020-04-20):
 * QuerySessionByClientId, BatchQuerySessionByClientIds (at most 10 client ids a call), SendMessage
 * (a message from the application server, published through the broker) and CloseConnection.
 * @module
 */
import { contractAction, type ActionHandler } from './context.js';
import { invalidParameter } from './error-answers.js';

/** What the session actions need from the broker. */
export interface OpenApiSessions {
  /** Whether a client with this id is connected (authenticated, CONNACK sent) now. */
  isOnline(clientId: string): boolean | Promise<boolean>;
  /** Closes that client's connection; `false` when it was not connected. CloseConnection needs it. */
  disconnect?(clientId: string): boolean | Promise<boolean>;
}

/** What SendMessage needs: a publish into the broker, as if from the service itself. */
export interface OpenApiPublisher {
  /** Publishes and resolves once the broker has taken the message. */
  publish(message: { topic: string; payload: Uint8Array; qos: 0 | 1 }): Promise<void>;
}


/**
 * Why `topic` cannot be SendMessage's `MqttTopic`, or `undefined`: a concrete topic (no `+`/`#`), not a
 * `$SYS` topic, no empty level, no control character.
 */
export function sendTopicProblem(topic: string): string | undefined {
  if (/[+#]/.test(topic)) return 'MqttTopic must be a topic, not a filter with "+" or "#".';
  if (topic.startsWith('$')) return 'MqttTopic must not be a system topic.';
  if (topic.split('/').some((level) => level.length === 0)) return 'MqttTopic must not have an empty level.';
  if (/[\u0000-\u001f\u007f]/.test(topic)) return 'MqttTopic must not contain control characters.';
  return undefined;
}

function messageId(): string {
  let hex = '';
  for (const b of globalThis.crypto.getRandomValues(new Uint8Array(16))) hex += b.toString(16).padStart(2, '0');
  return hex.toUpperCase();
}

/** The session actions over the broker's `sessions` (and `publisher` for SendMessage). */
export function sessionActions(sessions: OpenApiSessions | undefined, publisher: OpenApiPublisher | undefined): Record<string, ActionHandler> {
  const actions: Record<string, ActionHandler> = {};
  if (sessions) {
    actions['QuerySessionByClientId'] = contractAction('QuerySessionByClientId', async ({ clientId }) => ({ online: (await sessions.isOnline(clientId)) === true }));
    actions['BatchQuerySessionByClientIds'] = contractAction('BatchQuerySessionByClientIds', async ({ clientIds }) => {
      const list = [];
      for (const clientId of clientIds) list.push({ clientId, online: (await sessions.isOnline(clientId)) === true });
      return { list };
    });
    const disconnect = sessions.disconnect?.bind(sessions);
    if (disconnect) {
      actions['CloseConnection'] = contractAction('CloseConnection', async ({ clientId }) => {
        // A client that is not connected is no error: the result (not connected) is what was asked for.
        await disconnect(clientId);
        return {};
      });
    }
  }
  if (publisher) {
    actions['SendMessage'] = contractAction('SendMessage', async ({ topic, payload }) => {
      const problem = sendTopicProblem(topic);
      if (problem) throw invalidParameter('MqttTopic', problem);
      // QoS 1 (inferred; the reference does not say): a message the service accepted is not dropped on the way.
      await publisher.publish({ topic, payload: new TextEncoder().encode(payload), qos: 1 });
      return { msgId: messageId() };
    });
  }
  return actions;
}
