/**
 * The hosted pages' own words (around the login UI's elements, whose texts come from the UI's catalogues):
 * titles, the "back to the app" link and the refusals shown without any element. `{app}` is the app's name.
 */
export interface HostedWords {
  signInTitle: string;
  confirmTitle: string;
  resetTitle: string;
  backToApp: string;
  badRedirectTitle: string;
  badRedirect: string;
  noRedirect: string;
  notFoundTitle: string;
  notFound: string;
  incompleteLink: string;
  needsJavaScript: string;
}

const WORDS: Record<string, HostedWords> = {
  en: {
    signInTitle: 'Sign in to {app}',
    confirmTitle: 'Confirm your email — {app}',
    resetTitle: 'Choose a new password — {app}',
    backToApp: 'Back to {app}',
    badRedirectTitle: 'This sign-in link does not work',
    badRedirect:
      'The page this link would return you to is not one of the pages {app} allows. Go back to {app} and sign in from there.',
    noRedirect: 'This sign-in link does not say where to return to. Go back to {app} and sign in from there.',
    notFoundTitle: 'Not found',
    notFound: 'This link does not belong to any app here.',
    incompleteLink: 'This link is incomplete. Open the link from your email again.',
    needsJavaScript: 'This page needs JavaScript.',
  },
  de: {
    signInTitle: 'Bei {app} anmelden',
    confirmTitle: 'E-Mail-Adresse bestätigen — {app}',
    resetTitle: 'Neues Passwort wählen — {app}',
    backToApp: 'Zurück zu {app}',
    badRedirectTitle: 'Dieser Anmeldelink funktioniert nicht',
    badRedirect:
      'Die Seite, zu der dieser Link zurückführen würde, gehört nicht zu den Seiten, die {app} erlaubt. Gehen Sie zurück zu {app} und melden Sie sich dort an.',
    noRedirect:
      'Dieser Anmeldelink sagt nicht, wohin es danach geht. Gehen Sie zurück zu {app} und melden Sie sich dort an.',
    notFoundTitle: 'Nicht gefunden',
    notFound: 'Dieser Link gehört zu keiner App hier.',
    incompleteLink: 'Dieser Link ist unvollständig. Öffnen Sie den Link aus Ihrer E-Mail erneut.',
    needsJavaScript: 'Diese Seite braucht JavaScript.',
  },
  fr: {
    signInTitle: 'Se connecter à {app}',
    confirmTitle: 'Confirmez votre adresse e-mail — {app}',
    resetTitle: 'Choisissez un nouveau mot de passe — {app}',
    backToApp: 'Retour à {app}',
    badRedirectTitle: 'Ce lien de connexion ne fonctionne pas',
    badRedirect:
      'La page vers laquelle ce lien vous renverrait ne fait pas partie des pages autorisées par {app}. Retournez sur {app} et connectez-vous depuis là.',
    noRedirect: 'Ce lien de connexion n’indique pas où revenir. Retournez sur {app} et connectez-vous depuis là.',
    notFoundTitle: 'Introuvable',
    notFound: 'Ce lien n’appartient à aucune application ici.',
    incompleteLink: 'Ce lien est incomplet. Ouvrez à nouveau le lien de votre e-mail.',
    needsJavaScript: 'Cette page a besoin de JavaScript.',
  },
  es: {
    signInTitle: 'Iniciar sesión en {app}',
    confirmTitle: 'Confirma tu correo — {app}',
    resetTitle: 'Elige una contraseña nueva — {app}',
    backToApp: 'Volver a {app}',
    badRedirectTitle: 'Este enlace de inicio de sesión no funciona',
    badRedirect:
      'La página a la que te devolvería este enlace no es una de las que {app} permite. Vuelve a {app} e inicia sesión desde allí.',
    noRedirect: 'Este enlace de inicio de sesión no dice adónde volver. Vuelve a {app} e inicia sesión desde allí.',
    notFoundTitle: 'No encontrado',
    notFound: 'Este enlace no pertenece a ninguna aplicación de aquí.',
    incompleteLink: 'Este enlace está incompleto. Vuelve a abrir el enlace de tu correo.',
    needsJavaScript: 'Esta página necesita JavaScript.',
  },
  ja: {
    signInTitle: '{app} にサインイン',
    confirmTitle: 'メールアドレスの確認 — {app}',
    resetTitle: '新しいパスワードの設定 — {app}',
    backToApp: '{app} に戻る',
    badRedirectTitle: 'このサインインリンクは使えません',
    badRedirect:
      'このリンクの戻り先は {app} が許可したページではありません。{app} に戻って、そこからサインインしてください。',
    noRedirect: 'このサインインリンクには戻り先がありません。{app} に戻って、そこからサインインしてください。',
    notFoundTitle: '見つかりません',
    notFound: 'このリンクはここのどのアプリのものでもありません。',
    incompleteLink: 'このリンクは不完全です。メールのリンクをもう一度開いてください。',
    needsJavaScript: 'このページには JavaScript が必要です。',
  },
  ar: {
    signInTitle: 'تسجيل الدخول إلى {app}',
    confirmTitle: 'تأكيد بريدك الإلكتروني — {app}',
    resetTitle: 'اختيار كلمة مرور جديدة — {app}',
    backToApp: 'العودة إلى {app}',
    badRedirectTitle: 'رابط تسجيل الدخول هذا لا يعمل',
    badRedirect:
      'الصفحة التي سيعيدك إليها هذا الرابط ليست من الصفحات التي يسمح بها {app}. عد إلى {app} وسجّل الدخول من هناك.',
    noRedirect: 'لا يحدد رابط تسجيل الدخول هذا مكان العودة. عد إلى {app} وسجّل الدخول من هناك.',
    notFoundTitle: 'غير موجود',
    notFound: 'لا ينتمي هذا الرابط إلى أي تطبيق هنا.',
    incompleteLink: 'هذا الرابط غير مكتمل. افتح الرابط من بريدك مرة أخرى.',
    needsJavaScript: 'تحتاج هذه الصفحة إلى JavaScript.',
  },
};

/** The words of `lang` with `{app}` filled in (English for a language without built-in words). */
export function hostedWords(lang: string, app: string): HostedWords {
  const words = WORDS[lang] ?? (WORDS.en as HostedWords);
  return Object.fromEntries(
    Object.entries(words).map(([key, text]) => [key, text.replaceAll('{app}', app)]),
  ) as unknown as HostedWords;
}
