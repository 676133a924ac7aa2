// Reservoir's Node.js runtime client.
//
// Speaks the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API: loads the handler
// named by _HANDLER ("file.export", the file relative to LAMBDA_TASK_ROOT; .js,
// .cjs or .mjs, CommonJS or ES module), reports load failures to init/error,
// then loops on invocation/next and calls the handler (async or callback
// style), posting the JSON result or the error.
//
// console.* write as Lambda's Node.js runtime makes them write: one record per
// call, "<time>\t<request id>\t<LEVEL>\t<message>" (LogFormat Text) or a JSON
// object (AWS_LAMBDA_LOG_FORMAT=JSON), the levels below AWS_LAMBDA_LOG_LEVEL
// silenced. Records go to the descriptor named by _LAMBDA_TELEMETRY_LOG_FD, each
// in a frame of its own, so that one spanning several lines stays one log event.
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const PREFIX = '/2018-06-01/runtime';
const [HOST, PORT] = (process.env.AWS_LAMBDA_RUNTIME_API || '').split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

let currentRequestId;

// The descriptor of framed log records; the function's code never sees it.
const TELEMETRY_FD = process.env._LAMBDA_TELEMETRY_LOG_FD;
delete process.env._LAMBDA_TELEMETRY_LOG_FD;
const LOG_JSON = (process.env.AWS_LAMBDA_LOG_FORMAT || '').toUpperCase() === 'JSON';
// pendingCallback settles the invocation in progress; when the event loop
// empties before the handler settles, the invocation ends with null, as on
// Lambda.
let pendingCallback;

function request(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port: PORT, method, path: PREFIX + p, agent, headers: headers || {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function fatal(msg) {
  process.stdout.write(`[FATAL] ${msg}\n`);
  process.exit(1);
}

async function post(p, doc, errorType) {
  const headers = { 'Content-Type': 'application/json' };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  const res = await request('POST', p, doc, headers);
  if (res.status !== 202) fatal(`Runtime API answered ${res.status} to ${p}: ${res.body.toString().slice(0, 200)}`);
}

function errorDoc(err, fallbackType) {
  if (err instanceof Error) {
    return {
      errorType: fallbackType || err.name || 'Error',
      errorMessage: err.message,
      trace: String(err.stack || '').split('\n'),
    };
  }
  return { errorType: fallbackType || typeof err, errorMessage: String(err), trace: [] };
}

// Lambda's log levels, with their rank in bits 2-4 of a frame type.
const LEVELS = {
  TRACE: { name: 'TRACE', rank: 1 },
  DEBUG: { name: 'DEBUG', rank: 2 },
  INFO: { name: 'INFO', rank: 3 },
  WARN: { name: 'WARN', rank: 4 },
  ERROR: { name: 'ERROR', rank: 5 },
  FATAL: { name: 'FATAL', rank: 6 },
};

// writeRecord writes one log record: framed (0xa55a0003 for text, 0xa55a0002
// for JSON, the level in bits 2-4, then the length and the time in
// microseconds), or as one stdout line without the descriptor.
const writeRecord = (() => {
  if (TELEMETRY_FD === undefined) {
    return (level, text, date) => process.stdout.write(text.replace(/\n/g, '\r') + '\n');
  }
  const fd = Number(TELEMETRY_FD);
  return (level, text, date) => {
    const body = Buffer.from(text, 'utf8');
    const frame = Buffer.alloc(16 + body.length);
    frame.writeUInt32BE(((LOG_JSON ? 0xa55a0002 : 0xa55a0003) | (level.rank << 2)) >>> 0, 0);
    frame.writeUInt32BE(body.length, 4);
    frame.writeBigUInt64BE(BigInt(date.getTime()) * 1000n, 8);
    body.copy(frame, 16);
    for (let off = 0; off < frame.length; ) off += fs.writeSync(fd, frame, off);
  };
})();

// errorFields describes an Error as Lambda's JSON records do.
function errorFields(err) {
  return {
    errorType: (err && err.constructor && err.constructor.name) || 'UnknownError',
    errorMessage: err.message,
    stackTrace: typeof err.stack === 'string' ? err.stack.split('\n') : err.stack,
  };
}

function jsonRecord(level, date, params) {
  const doc = { timestamp: date.toISOString(), level: level.name, requestId: currentRequestId };
  if (params.length === 1) {
    doc.message = params[0];
    try {
      return JSON.stringify(doc, (key, value) => (value instanceof Error ? { ...errorFields(value), ...value } : value));
    } catch (e) {
      doc.message = util.format(params[0]);
      return JSON.stringify(doc);
    }
  }
  doc.message = util.format(...params);
  const err = params.find((p) => p instanceof Error);
  if (err) Object.assign(doc, errorFields(err), { stackTrace: typeof err.stack === 'string' ? err.stack.split('\n') : [] });
  return JSON.stringify(doc);
}

function logRecord(level, params) {
  const date = new Date();
  const text = LOG_JSON
    ? jsonRecord(level, date, params)
    : `${date.toISOString()}\t${currentRequestId}\t${level.name}\t${util.format(...params)}\n`;
  writeRecord(level, text, date);
}

function patchConsole() {
  const min = LEVELS[(process.env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()] || LEVELS.TRACE;
  const method = (level) => (level.rank >= min.rank ? (...params) => logRecord(level, params) : () => {});
  console.trace = method(LEVELS.TRACE);
  console.debug = method(LEVELS.DEBUG);
  console.info = method(LEVELS.INFO);
  console.log = console.info;
  console.warn = method(LEVELS.WARN);
  console.error = method(LEVELS.ERROR);
  console.fatal = (...params) => logRecord(LEVELS.FATAL, params);
}

// formattedError is an error as Lambda's runtime logs it in text records.
function formattedError(err) {
  if (!(err instanceof Error)) return '\t' + JSON.stringify({ errorType: typeof err, errorMessage: String(err) });
  return '\t' + JSON.stringify({ errorType: err.name, errorMessage: err.message, stack: String(err.stack || '').split('\n') });
}

// logError logs an error the runtime caught.
function logError(prefix, err) {
  if (LOG_JSON) console.error(err instanceof Error ? err : new Error(String(err)));
  else console.error(prefix, formattedError(err));
}

class InitFailure extends Error {
  constructor(type, message, cause) {
    super(message);
    this.type = type;
    this.cause = cause;
  }
}

async function loadHandler() {
  const spec = process.env._HANDLER || '';
  const dot = spec.lastIndexOf('.');
  if (dot <= 0 || dot === spec.length - 1) {
    throw new InitFailure('Runtime.MalformedHandlerName', `Bad handler ${spec}`);
  }
  const modulePath = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const base = path.resolve(root, modulePath);
  const file = ['.js', '.mjs', '.cjs', ''].map((ext) => base + ext).find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
  if (!file) {
    throw new InitFailure('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}'`);
  }
  let mod;
  try {
    if (file.endsWith('.mjs')) {
      mod = await import(pathToFileURL(file).href);
    } else {
      try {
        mod = require(file);
      } catch (err) {
        if (err && err.code === 'ERR_REQUIRE_ESM') mod = await import(pathToFileURL(file).href);
        else throw err;
      }
    }
  } catch (err) {
    if (err instanceof SyntaxError) throw new InitFailure('Runtime.UserCodeSyntaxError', String(err), err);
    if (err && err.code === 'MODULE_NOT_FOUND') throw new InitFailure('Runtime.ImportModuleError', String(err), err);
    throw new InitFailure((err && err.name) || 'Error', err instanceof Error ? err.message : String(err), err);
  }
  let handler = mod && mod[exportName];
  if (typeof handler !== 'function' && mod && mod.default) handler = mod.default[exportName];
  if (typeof handler !== 'function') {
    throw new InitFailure('Runtime.HandlerNotFound', `${modulePath}.${exportName} is undefined or not exported`);
  }
  return handler;
}

function makeContext(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms'] || 0);
  const parse = (text) => {
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch (e) {
      return undefined;
    }
  };
  return {
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: parse(headers['lambda-runtime-cognito-identity']),
    clientContext: parse(headers['lambda-runtime-client-context']),
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
}

// callHandler settles with the handler's result, whichever style it uses.
function callHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    pendingCallback = callback;
    context.done = callback;
    context.succeed = (result) => callback(null, result);
    context.fail = (err) => callback(err || new Error('handled'));
    let ret;
    try {
      ret = handler(event, context, callback);
    } catch (err) {
      callback(err);
      return;
    }
    if (ret && typeof ret.then === 'function') {
      ret.then((v) => callback(null, v), (e) => callback(e === undefined || e === null ? new Error(String(e)) : e));
    } else if (handler.length < 3) {
      callback(null, ret);
    }
  });
}

async function main() {
  if (!HOST) fatal('AWS_LAMBDA_RUNTIME_API is not set');
  patchConsole();

  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    const type = err instanceof InitFailure ? err.type : 'Runtime.Unknown';
    const doc = errorDoc(err.cause instanceof Error ? err.cause : err, type);
    doc.errorMessage = err.message;
    const logged = new Error(err.message);
    logged.name = type;
    logged.stack = `${type}: ${err.message}` + (doc.trace.length > 1 ? '\n' + doc.trace.slice(1).join('\n') : '');
    logError('Init Error', logged);
    await post('/init/error', JSON.stringify(doc), type);
    process.exit(1);
  }

  const crash = async (err) => {
    logError('Uncaught Exception', err);
    if (currentRequestId) {
      const id = currentRequestId;
      currentRequestId = undefined;
      try {
        await post(`/invocation/${id}/error`, JSON.stringify(errorDoc(err)), 'Runtime.UnhandledPromiseRejection');
      } catch (e) {
        // exiting anyway
      }
    }
    process.exit(129);
  };
  process.on('beforeExit', () => {
    if (pendingCallback) pendingCallback(null, null);
  });
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  for (;;) {
    const next = await request('GET', '/invocation/next');
    if (next.status !== 200) fatal(`Runtime API answered ${next.status} to next`);
    const context = makeContext(next.headers);
    const id = context.awsRequestId;
    currentRequestId = id;
    if (next.headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'];
    else delete process.env._X_AMZN_TRACE_ID;

    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString('utf8')) : {};
    } catch (err) {
      await post(`/invocation/${id}/error`, JSON.stringify(errorDoc(err, 'Runtime.UnmarshalError')), 'Runtime.UnmarshalError');
      continue;
    }

    let result;
    try {
      result = await callHandler(handler, event, context);
      pendingCallback = undefined;
    } catch (err) {
      pendingCallback = undefined;
      const doc = errorDoc(err);
      logError('Invoke Error', err);
      if (currentRequestId === id) await post(`/invocation/${id}/error`, JSON.stringify(doc), doc.errorType);
      continue;
    }
    let payload;
    try {
      payload = JSON.stringify(result === undefined ? null : result);
    } catch (err) {
      await post(`/invocation/${id}/error`, JSON.stringify(errorDoc(err, 'Runtime.MarshalError')), 'Runtime.MarshalError');
      continue;
    }
    if (currentRequestId === id) await post(`/invocation/${id}/response`, payload);
    currentRequestId = undefined;
  }
}

main().catch((err) => fatal(`runtime client failed: ${util.format(err)}`));
