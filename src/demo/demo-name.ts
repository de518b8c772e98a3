/** The demo workspace's name (alone, so that the CLI's help needs nothing else of the demo). */
export const DEMO_WORKSPACE = 'Демо';
