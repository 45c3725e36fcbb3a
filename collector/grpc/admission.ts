import * as grpc from '@grpc/grpc-js';
import type { Authenticate } from '../auth.ts';
import { HttpError } from '../http/http-error.ts';

// What is decided about a call from its metadata alone, before its message is read: grpc-js reads,
// decompresses and deserializes a unary request before calling the handler, so a handler that
// checks the token lets an unauthenticated 60 MiB message be received and unpacked first. This
// interceptor refuses a call without a valid token at once (UNAUTHENTICATED; the message is never
// read), and gives the message `messageTimeoutMs` to arrive (DEADLINE_EXCEEDED: a client trickling
// its message would otherwise hold the call open forever).

export interface AdmissionOptions {
  authenticate?: Authenticate;
  messageTimeoutMs: number;
  /** Called with the status of every call refused here (for the request counter). */
  refused(path: string, code: grpc.status): void;
}

export function firstMetadata(metadata: grpc.Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return value === undefined ? undefined : String(value);
}

export function admissionInterceptor(options: AdmissionOptions): grpc.ServerInterceptor {
  return function admission(method, call) {
    const refuse = (code: grpc.status, details: string) => {
      options.refused(method.path, code);
      call.sendStatus({ code, details, metadata: new grpc.Metadata() });
    };
    let timer: NodeJS.Timeout | undefined;
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            if (options.authenticate) {
              try {
                options.authenticate(firstMetadata(metadata, 'authorization'), firstMetadata(metadata, 'x-api-key'));
              } catch (err) {
                if (err instanceof HttpError) return refuse(grpc.status.UNAUTHENTICATED, err.message);
                return refuse(grpc.status.INTERNAL, 'internal error');
              }
            }
            timer = setTimeout(() => refuse(grpc.status.DEADLINE_EXCEEDED, `request message not received within ${options.messageTimeoutMs} ms`), options.messageTimeoutMs);
            nextMetadata(metadata);
          },
          onReceiveMessage(message, nextMessage) {
            clearTimeout(timer);
            nextMessage(message);
          },
          onCancel() {
            clearTimeout(timer);
          },
        });
      },
      sendStatus(status, nextStatus) {
        clearTimeout(timer);
        nextStatus(status);
      },
    });
  };
}
