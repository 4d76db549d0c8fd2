import { jest } from '@jest/globals';

// A test or hook that starts a platform, kills processes or restarts services takes minutes, not
// seconds. (jest reads `testTimeout` from the global config only, so each project sets its own here.)
jest.setTimeout(300_000);
