// A page for a bad request (400) or a missing SLO (404): what was wrong, and a way back.
import type { Viewer } from '../access/viewer.ts';
import { Layout } from '../components/layout.tsx';

export function ErrorPage({ viewer, title, message }: { viewer?: Viewer; title: string; message: string }) {
  return (
    <Layout title={title} nav="slos" viewer={viewer}>
      <h1>{title}</h1>
      <p class="error" role="alert">
        {message}
      </p>
      <p>
        <a href="/">All SLOs</a>
      </p>
    </Layout>
  );
}
