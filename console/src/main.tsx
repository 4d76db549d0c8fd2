import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import { Alert, Button, Center, createTheme, Modal, type CSSVariablesResolver, MantineProvider, Paper, Stack, Text, Title } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { apiClients, ApiProblem } from './api/client';
import { AppContext } from './context';
import { createAppRouter } from './router';
import { loadSettings, start } from './session';

// Light and dark follow the system setting (defaultColorScheme "auto"). Shades are chosen for WCAG AA
// contrast (the test's axe-core scan): primary 8 under white text, dimmed text one step darker.
const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: { light: 8, dark: 4 },
  defaultRadius: 'sm',
  // Dialogs and menus appear without their fade for readers who ask the system for less motion.
  respectReducedMotion: true,
  // An alert's colour is its background and icon; its title stays in the text colour.
  components: {
    Alert: Alert.extend({ styles: { title: { color: 'var(--mantine-color-text)' } } }),
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
  },
});
const cssVariables: CSSVariablesResolver = (current) => ({
  variables: {},
  light: { '--mantine-color-dimmed': current.colors.gray[7] },
  dark: { '--mantine-color-dimmed': current.colors.dark[1] },
});

function Shell({ children }: { children: React.ReactNode }) {
  return (
    <StrictMode>
      <MantineProvider theme={theme} defaultColorScheme="auto" cssVariablesResolver={cssVariables}>
        {children}
      </MantineProvider>
    </StrictMode>
  );
}

function Gate({ title, message, action }: { title: string; message: string; action?: { label: string; run: () => void } }) {
  return (
    <main>
      <Center h="100vh">
        <Paper withBorder p="xl" maw={480}>
          <Stack>
            <Title order={1} size="h2">
              {title}
            </Title>
            <Text>{message}</Text>
            {action && (
              <Button onClick={action.run} autoFocus>
                {action.label}
              </Button>
            )}
          </Stack>
        </Paper>
      </Center>
    </main>
  );
}

async function main() {
  const root = createRoot(document.getElementById('root')!);
  try {
    const started = await start(await loadSettings());
    if (started.kind === 'sign-in') {
      root.render(
        <Shell>
          <Gate title="Orchestrator operator console" message="Sign in with your organisation's identity provider to continue." action={{ label: 'Sign in', run: () => void started.signIn() }} />
        </Shell>,
      );
      return;
    }
    if (started.kind === 'misconfigured') {
      root.render(
        <Shell>
          <Gate title="Sign-in unavailable" message={started.message} />
        </Shell>,
      );
      return;
    }
    const { session } = started;
    const api = apiClients(session);
    const queryClient = new QueryClient({
      defaultOptions: {
        // A refused or missing resource does not get better by asking again.
        queries: { retry: (count, error) => !(error instanceof ApiProblem && error.status < 500) && count < 2, refetchOnWindowFocus: false },
      },
    });
    const router = createAppRouter();
    root.render(
      <Shell>
        <QueryClientProvider client={queryClient}>
          <AppContext.Provider value={{ session, api }}>
            <RouterProvider router={router} />
          </AppContext.Provider>
        </QueryClientProvider>
      </Shell>,
    );
  } catch (error) {
    root.render(
      <Shell>
        <Gate title="The console could not start" message={error instanceof Error ? error.message : String(error)} action={{ label: 'Try again', run: () => window.location.assign('/') }} />
      </Shell>,
    );
  }
}

void main();
