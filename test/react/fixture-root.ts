import { AppProvider, SignIn, UserButton, useUser } from '@gatehouse-auth/react';
import { createElement, type ReactNode, useState } from 'react';

/** A small React app using the UI components; rendered on the server and hydrated in the browser by the test. */

function Status({ signIns }: { signIns: number }): ReactNode {
  const user = useUser();
  return createElement(
    'p',
    { id: 'status' },
    user ? `user: ${user.profile.email} (${signIns})` : `signed out (${signIns})`,
  );
}

function Page(): ReactNode {
  const [signIns, setSignIns] = useState(0);
  return createElement(
    'main',
    null,
    createElement(UserButton, { align: 'right' }),
    createElement(Status, { signIns }),
    createElement(SignIn, { noHeading: true, onSignedIn: () => setSignIns((n) => n + 1) }),
  );
}

export function Root({ appId, baseUrl }: { appId: string; baseUrl: string }): ReactNode {
  return createElement(AppProvider, { id: appId, baseUrl }, createElement(Page));
}
