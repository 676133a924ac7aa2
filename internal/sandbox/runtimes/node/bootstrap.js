// Reservoir's Node.js runtime client.
//
// Speaks the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API: loads the handler
// named by _HANDLER ("file.export", the file relative to LAMBDA_TASK_ROOT; .js,
// .cjs or .mjs, CommonJS or ES module), reports load failures to init/error,
// then loops on invocation/next and calls the handler (async or callback
// style), posting the JSON result or the error.
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

// Console output becomes one line per call, prefixed like Lambda's.
function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [name, level] of Object.entries(levels)) {
    console[name] = (...args) => {
      const msg = util.format(...args).replace(/\n/g, '\r');
      process.stdout.write(`${new Date().toISOString()}\t${currentRequestId || 'undefined'}\t${level}\t${msg}\n`);
    };
  }
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
    process.stdout.write(`[ERROR] ${type}: ${err.message}\n`);
    await post('/init/error', JSON.stringify(doc), type);
    process.exit(1);
  }

  const crash = async (err) => {
    process.stdout.write(`[ERROR] Uncaught ${util.format(err)}\n`);
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
      console.error(`Invoke Error \t${JSON.stringify(doc)}`);
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
