// Sign in with a token (the same tokens as the API's); the session is an HttpOnly cookie.
import { Layout } from '../components/layout.tsx';

export function LoginPage({ next, error }: { next: string; error?: string }) {
  return (
    <Layout title="Sign in" nav="none">
      <form method="post" action="/login" class="login">
        <h1>Sign in</h1>
        <p>This SLO engine requires a token. Ask whoever runs it, or see BURNRATE_AUTH_TOKENS.</p>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <input type="hidden" name="next" value={next} />
        <label>
          Token <input type="password" name="token" autocomplete="current-password" required autofocus />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}
