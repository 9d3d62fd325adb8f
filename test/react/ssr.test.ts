import { App, memoryStorage } from '@gatehouse-auth/client';
import { AppProvider, LoginButtons, SignIn, SignUp, UserButton } from '@gatehouse-auth/react';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

/**
 * The UI components render on the server (react-dom/server, plain Node: no DOM) without touching `window`,
 * `document` or `customElements`: any read of them during rendering throws here.
 */

describe('@gatehouse-auth/react UI components on the server', () => {
  it('render their custom elements with attributes, and read nothing of a browser', () => {
    expect(typeof window).toBe('undefined');
    const app = new App({ id: 'ssr-app', baseUrl: 'https://auth.example.com', storage: memoryStorage() });
    const trapped = ['window', 'document', 'customElements', 'HTMLElement', 'localStorage'] as const;
    const reads: string[] = [];
    for (const name of trapped)
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get: () => {
          reads.push(name);
          throw new Error(`${name} read during server rendering`);
        },
      });
    let html: string;
    try {
      html = renderToString(
        createElement(
          AppProvider,
          { app },
          createElement(UserButton, { align: 'right', signInHref: '/sign-in' }),
          createElement(LoginButtons, { passwordSignupFields: 'USERNAME_AND_EMAIL', className: 'login' }),
          createElement(SignIn, { signUpHref: '/sign-up', noHeading: true, lang: 'de', onSignedIn: () => {} }),
          createElement(SignUp, { signInHref: '/sign-in', messages: { signUpTitle: 'Join' } }),
        ),
      );
    } finally {
      for (const name of trapped) delete (globalThis as Record<string, unknown>)[name];
    }
    expect(reads).toEqual([]);
    expect(html).toBe(
      '<gatehouse-user-menu align="right" sign-in-href="/sign-in"></gatehouse-user-menu>' +
        '<gatehouse-login-buttons class="login" password-signup-fields="USERNAME_AND_EMAIL"></gatehouse-login-buttons>' +
        '<gatehouse-sign-in lang="de" sign-up-href="/sign-up" no-heading=""></gatehouse-sign-in>' +
        '<gatehouse-sign-up sign-in-href="/sign-in"></gatehouse-sign-up>',
    );
  });
});
