export const handler = async (event) => ({ via: 'esm', got: event });
