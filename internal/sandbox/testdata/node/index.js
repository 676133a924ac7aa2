'use strict';

console.log('node init', process.env.AWS_LAMBDA_INITIALIZATION_TYPE);

class CustomError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CustomError';
  }
}

exports.handler = async (event, context) => {
  switch (event.action || 'echo') {
    case 'echo':
      return event;
    case 'error':
      throw new CustomError('node says no');
    case 'log':
      console.log('hello from node', context.awsRequestId);
      return 'logged';
    case 'context':
      return {
        requestId: context.awsRequestId,
        functionName: context.functionName,
        memory: context.memoryLimitInMB,
        arn: context.invokedFunctionArn,
        remaining: context.getRemainingTimeInMillis(),
      };
    case 'env':
      return process.env;
    case 'crash':
      process.exit(4);
      break;
    default:
      return null;
  }
};

exports.callback = (event, context, callback) => {
  if (event.fail) {
    callback(new Error('callback failure'));
    return;
  }
  setTimeout(() => callback(null, { via: 'callback', got: event }), 5);
};
