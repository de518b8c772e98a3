import './early';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './i18n';
import { App } from './App';
import { onDataChanged } from './api';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: (n, e) => n < 2 && !(e as { status?: number }).status, staleTime: 30_000, refetchOnWindowFocus: false },
  },
});

// A move, an edit or a logged call changes reports, boards and lists: mark them stale
// (the page on screen refetches now, the others when next opened).
onDataChanged(() => {
  queryClient.invalidateQueries({ predicate: (q) => !['me', 'prefs', 'pick'].includes(String(q.queryKey[0])) });
});

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
