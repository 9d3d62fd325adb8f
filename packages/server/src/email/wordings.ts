/**
 * The account mails' words in the six languages of the login UI (English, German, French, Spanish, Japanese,
 * Arabic), and how a language is picked from an `Accept-Language` header or a `lang` value.
 */

/** The account mails, by the purpose of their link. */
export type AccountEmailKind = 'confirm-email' | 'reset-password' | 'enroll' | 'signup-attempt' | 'login-code';

export const ACCOUNT_EMAIL_KINDS: readonly AccountEmailKind[] = [
  'confirm-email',
  'reset-password',
  'enroll',
  'signup-attempt',
  'login-code',
];

/** The languages with built-in words (mails and hosted pages). */
export const BUILT_IN_LANGUAGES = ['en', 'de', 'fr', 'es', 'ja', 'ar'] as const;

/** Languages written right to left. */
export const RTL_LANGUAGES: ReadonlySet<string> = new Set(['ar', 'fa', 'he', 'ur']);

/** One mail's words; `app` is the app's display name, `to` the recipient, `code` a passwordless code. */
export interface MailWording {
  subject: string;
  heading: string;
  /** Plain-text sentences before the link. */
  intro: string[];
  button: string;
  /** Ends "If you did not ask for this, ignore this mail: …". */
  ignore: string;
}

interface LanguageWords {
  mails: Record<AccountEmailKind, (app: string, to: string, code: string) => MailWording>;
  expires: (duration: string) => string;
  ignore: (rest: string) => string;
  copyLink: string;
  duration: (n: number, unit: 'minute' | 'hour' | 'day') => string;
}

const en: LanguageWords = {
  mails: {
    'confirm-email': (app, to) => ({
      subject: `Confirm your email address for ${app}`,
      heading: 'Confirm your email address',
      intro: [
        `Someone, hopefully you, signed up for ${app} with this email address (${to}).`,
        'To confirm it, open this link:',
      ],
      button: 'Confirm email address',
      ignore: 'the address will not be confirmed.',
    }),
    'reset-password': (app, to) => ({
      subject: `Reset your password for ${app}`,
      heading: 'Reset your password',
      intro: [
        `Someone, hopefully you, asked to reset the password of the ${app} account ${to}.`,
        'To choose a new password, open this link:',
      ],
      button: 'Choose a new password',
      ignore: 'your password stays as it is.',
    }),
    enroll: (app, to) => ({
      subject: `An account has been created for you on ${app}`,
      heading: 'Your new account',
      intro: [`An account on ${app} has been created for ${to}.`, 'To start using it, choose a password here:'],
      button: 'Choose your password',
      ignore: 'the account stays without a password.',
    }),
    'signup-attempt': (app, to) => ({
      subject: `Someone tried to sign up to ${app} with your address`,
      heading: 'You already have an account',
      intro: [
        `Someone, hopefully you, tried to create a ${app} account with ${to}, which already has one.`,
        'If it was you, sign in instead. If you forgot your password, choose a new one here:',
      ],
      button: 'Reset my password',
      ignore: 'nothing has changed.',
    }),
    'login-code': (app, to, code) => ({
      subject: `Your sign-in code for ${app}`,
      heading: `Your sign-in code: ${code}`,
      intro: [
        `Someone, hopefully you, asked to sign in to ${app} as ${to}.`,
        `Type this code into the sign-in form: ${code}`,
        'Or open this link to sign in at once:',
      ],
      button: 'Sign in',
      ignore: 'nobody can sign in without the code.',
    }),
  },
  expires: (d) => `The link expires in ${d}.`,
  ignore: (rest) => `If you did not ask for this, ignore this mail: ${rest}`,
  copyLink: 'If the button does not work, copy this link into your browser:',
  duration: (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`,
};

const de: LanguageWords = {
  mails: {
    'confirm-email': (app, to) => ({
      subject: `Bestätigen Sie Ihre E-Mail-Adresse für ${app}`,
      heading: 'Bestätigen Sie Ihre E-Mail-Adresse',
      intro: [
        `Jemand, hoffentlich Sie, hat sich mit dieser E-Mail-Adresse (${to}) bei ${app} registriert.`,
        'Öffnen Sie diesen Link, um sie zu bestätigen:',
      ],
      button: 'E-Mail-Adresse bestätigen',
      ignore: 'die Adresse wird nicht bestätigt.',
    }),
    'reset-password': (app, to) => ({
      subject: `Setzen Sie Ihr Passwort für ${app} zurück`,
      heading: 'Passwort zurücksetzen',
      intro: [
        `Jemand, hoffentlich Sie, möchte das Passwort des ${app}-Kontos ${to} zurücksetzen.`,
        'Öffnen Sie diesen Link, um ein neues Passwort zu wählen:',
      ],
      button: 'Neues Passwort wählen',
      ignore: 'Ihr Passwort bleibt unverändert.',
    }),
    enroll: (app, to) => ({
      subject: `Für Sie wurde ein Konto bei ${app} angelegt`,
      heading: 'Ihr neues Konto',
      intro: [`Für ${to} wurde ein Konto bei ${app} angelegt.`, 'Wählen Sie hier ein Passwort, um es zu nutzen:'],
      button: 'Passwort wählen',
      ignore: 'das Konto bleibt ohne Passwort.',
    }),
    'signup-attempt': (app, to) => ({
      subject: `Jemand wollte sich mit Ihrer Adresse bei ${app} registrieren`,
      heading: 'Sie haben bereits ein Konto',
      intro: [
        `Jemand, hoffentlich Sie, wollte ein ${app}-Konto mit ${to} anlegen, für die es schon eines gibt.`,
        'Wenn Sie es waren, melden Sie sich an. Wenn Sie Ihr Passwort vergessen haben, wählen Sie hier ein neues:',
      ],
      button: 'Passwort zurücksetzen',
      ignore: 'es hat sich nichts geändert.',
    }),
    'login-code': (app, to, code) => ({
      subject: `Ihr Anmeldecode für ${app}`,
      heading: `Ihr Anmeldecode: ${code}`,
      intro: [
        `Jemand, hoffentlich Sie, möchte sich als ${to} bei ${app} anmelden.`,
        `Geben Sie diesen Code im Anmeldeformular ein: ${code}`,
        'Oder öffnen Sie diesen Link, um sich sofort anzumelden:',
      ],
      button: 'Anmelden',
      ignore: 'ohne den Code kann sich niemand anmelden.',
    }),
  },
  expires: (d) => `Der Link ist ${d} gültig.`,
  ignore: (rest) => `Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: ${rest}`,
  copyLink: 'Wenn die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:',
  duration: (n, unit) =>
    `${n} ${{ minute: ['Minute', 'Minuten'], hour: ['Stunde', 'Stunden'], day: ['Tag', 'Tage'] }[unit][n === 1 ? 0 : 1]}`,
};

const fr: LanguageWords = {
  mails: {
    'confirm-email': (app, to) => ({
      subject: `Confirmez votre adresse e-mail pour ${app}`,
      heading: 'Confirmez votre adresse e-mail',
      intro: [
        `Quelqu’un, vous sans doute, s’est inscrit à ${app} avec cette adresse (${to}).`,
        'Pour la confirmer, ouvrez ce lien :',
      ],
      button: 'Confirmer l’adresse e-mail',
      ignore: 'l’adresse ne sera pas confirmée.',
    }),
    'reset-password': (app, to) => ({
      subject: `Réinitialisez votre mot de passe pour ${app}`,
      heading: 'Réinitialisez votre mot de passe',
      intro: [
        `Quelqu’un, vous sans doute, a demandé à réinitialiser le mot de passe du compte ${app} ${to}.`,
        'Pour choisir un nouveau mot de passe, ouvrez ce lien :',
      ],
      button: 'Choisir un nouveau mot de passe',
      ignore: 'votre mot de passe reste inchangé.',
    }),
    enroll: (app, to) => ({
      subject: `Un compte a été créé pour vous sur ${app}`,
      heading: 'Votre nouveau compte',
      intro: [`Un compte ${app} a été créé pour ${to}.`, 'Pour commencer, choisissez un mot de passe ici :'],
      button: 'Choisir votre mot de passe',
      ignore: 'le compte reste sans mot de passe.',
    }),
    'signup-attempt': (app, to) => ({
      subject: `Quelqu’un a tenté de s’inscrire à ${app} avec votre adresse`,
      heading: 'Vous avez déjà un compte',
      intro: [
        `Quelqu’un, vous sans doute, a tenté de créer un compte ${app} avec ${to}, qui en a déjà un.`,
        'Si c’était vous, connectez-vous. Si vous avez oublié votre mot de passe, choisissez-en un nouveau ici :',
      ],
      button: 'Réinitialiser mon mot de passe',
      ignore: 'rien n’a changé.',
    }),
    'login-code': (app, to, code) => ({
      subject: `Votre code de connexion à ${app}`,
      heading: `Votre code de connexion : ${code}`,
      intro: [
        `Quelqu’un, vous sans doute, a demandé à se connecter à ${app} en tant que ${to}.`,
        `Saisissez ce code dans le formulaire de connexion : ${code}`,
        'Ou ouvrez ce lien pour vous connecter tout de suite :',
      ],
      button: 'Se connecter',
      ignore: 'personne ne peut se connecter sans le code.',
    }),
  },
  expires: (d) => `Le lien expire dans ${d}.`,
  ignore: (rest) => `Si vous n’avez rien demandé, ignorez ce message : ${rest}`,
  copyLink: 'Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :',
  duration: (n, unit) =>
    `${n} ${{ minute: ['minute', 'minutes'], hour: ['heure', 'heures'], day: ['jour', 'jours'] }[unit][n === 1 ? 0 : 1]}`,
};

const es: LanguageWords = {
  mails: {
    'confirm-email': (app, to) => ({
      subject: `Confirma tu dirección de correo para ${app}`,
      heading: 'Confirma tu dirección de correo',
      intro: [
        `Alguien, esperamos que tú, se registró en ${app} con esta dirección (${to}).`,
        'Para confirmarla, abre este enlace:',
      ],
      button: 'Confirmar dirección de correo',
      ignore: 'la dirección no se confirmará.',
    }),
    'reset-password': (app, to) => ({
      subject: `Restablece tu contraseña de ${app}`,
      heading: 'Restablece tu contraseña',
      intro: [
        `Alguien, esperamos que tú, pidió restablecer la contraseña de la cuenta de ${app} ${to}.`,
        'Para elegir una contraseña nueva, abre este enlace:',
      ],
      button: 'Elegir una contraseña nueva',
      ignore: 'tu contraseña no cambia.',
    }),
    enroll: (app, to) => ({
      subject: `Se ha creado una cuenta para ti en ${app}`,
      heading: 'Tu nueva cuenta',
      intro: [`Se ha creado una cuenta de ${app} para ${to}.`, 'Para empezar a usarla, elige una contraseña aquí:'],
      button: 'Elegir tu contraseña',
      ignore: 'la cuenta se queda sin contraseña.',
    }),
    'signup-attempt': (app, to) => ({
      subject: `Alguien intentó registrarse en ${app} con tu dirección`,
      heading: 'Ya tienes una cuenta',
      intro: [
        `Alguien, esperamos que tú, intentó crear una cuenta de ${app} con ${to}, que ya tiene una.`,
        'Si fuiste tú, inicia sesión. Si olvidaste tu contraseña, elige una nueva aquí:',
      ],
      button: 'Restablecer mi contraseña',
      ignore: 'no ha cambiado nada.',
    }),
    'login-code': (app, to, code) => ({
      subject: `Tu código para iniciar sesión en ${app}`,
      heading: `Tu código de inicio de sesión: ${code}`,
      intro: [
        `Alguien, esperamos que tú, pidió iniciar sesión en ${app} como ${to}.`,
        `Escribe este código en el formulario de inicio de sesión: ${code}`,
        'O abre este enlace para iniciar sesión enseguida:',
      ],
      button: 'Iniciar sesión',
      ignore: 'nadie puede iniciar sesión sin el código.',
    }),
  },
  expires: (d) => `El enlace caduca en ${d}.`,
  ignore: (rest) => `Si no lo pediste, ignora este correo: ${rest}`,
  copyLink: 'Si el botón no funciona, copia este enlace en tu navegador:',
  duration: (n, unit) =>
    `${n} ${{ minute: ['minuto', 'minutos'], hour: ['hora', 'horas'], day: ['día', 'días'] }[unit][n === 1 ? 0 : 1]}`,
};

const ja: LanguageWords = {
  mails: {
    'confirm-email': (app, to) => ({
      subject: `${app} のメールアドレスを確認してください`,
      heading: 'メールアドレスの確認',
      intro: [
        `このメールアドレス（${to}）で ${app} に登録がありました。`,
        '確認するには、このリンクを開いてください：',
      ],
      button: 'メールアドレスを確認',
      ignore: 'アドレスは確認されません。',
    }),
    'reset-password': (app, to) => ({
      subject: `${app} のパスワードの再設定`,
      heading: 'パスワードの再設定',
      intro: [
        `${app} のアカウント ${to} のパスワード再設定が依頼されました。`,
        '新しいパスワードを設定するには、このリンクを開いてください：',
      ],
      button: '新しいパスワードを設定',
      ignore: 'パスワードは変わりません。',
    }),
    enroll: (app, to) => ({
      subject: `${app} にあなたのアカウントが作成されました`,
      heading: '新しいアカウント',
      intro: [
        `${to} のための ${app} のアカウントが作成されました。`,
        '使い始めるには、ここでパスワードを設定してください：',
      ],
      button: 'パスワードを設定',
      ignore: 'アカウントはパスワードなしのままです。',
    }),
    'signup-attempt': (app, to) => ({
      subject: `あなたのアドレスで ${app} への登録が試みられました`,
      heading: 'すでにアカウントがあります',
      intro: [
        `すでにアカウントのある ${to} で、${app} のアカウント作成が試みられました。`,
        'ご本人の場合はサインインしてください。パスワードを忘れた場合は、ここで新しく設定できます：',
      ],
      button: 'パスワードを再設定',
      ignore: '何も変更されていません。',
    }),
    'login-code': (app, to, code) => ({
      subject: `${app} のサインインコード`,
      heading: `サインインコード：${code}`,
      intro: [
        `${to} として ${app} へのサインインが依頼されました。`,
        `サインインフォームにこのコードを入力してください：${code}`,
        'または、このリンクを開くとすぐにサインインできます：',
      ],
      button: 'サインイン',
      ignore: 'コードがなければ誰もサインインできません。',
    }),
  },
  expires: (d) => `リンクの有効期限は${d}です。`,
  ignore: (rest) => `心当たりがない場合は、このメールを無視してください：${rest}`,
  copyLink: 'ボタンが使えない場合は、このリンクをブラウザにコピーしてください：',
  duration: (n, unit) => `${n}${{ minute: '分', hour: '時間', day: '日' }[unit]}`,
};

const AR_UNITS: Record<'minute' | 'hour' | 'day', Record<Intl.LDMLPluralRule, (n: number) => string>> = {
  minute: {
    zero: (n) => `${n} دقيقة`,
    one: () => 'دقيقة واحدة',
    two: () => 'دقيقتين',
    few: (n) => `${n} دقائق`,
    many: (n) => `${n} دقيقة`,
    other: (n) => `${n} دقيقة`,
  },
  hour: {
    zero: (n) => `${n} ساعة`,
    one: () => 'ساعة واحدة',
    two: () => 'ساعتين',
    few: (n) => `${n} ساعات`,
    many: (n) => `${n} ساعة`,
    other: (n) => `${n} ساعة`,
  },
  day: {
    zero: (n) => `${n} يوم`,
    one: () => 'يوم واحد',
    two: () => 'يومين',
    few: (n) => `${n} أيام`,
    many: (n) => `${n} يومًا`,
    other: (n) => `${n} يوم`,
  },
};
const arabicPlural = new Intl.PluralRules('ar');

const ar: LanguageWords = {
  mails: {
    'confirm-email': (app, to) => ({
      subject: `أكّد عنوان بريدك الإلكتروني في ${app}`,
      heading: 'أكّد عنوان بريدك الإلكتروني',
      intro: [`سجّل شخص ما، نأمل أن تكون أنت، في ${app} بهذا العنوان (${to}).`, 'لتأكيده، افتح هذا الرابط:'],
      button: 'تأكيد عنوان البريد',
      ignore: 'لن يُؤكَّد العنوان.',
    }),
    'reset-password': (app, to) => ({
      subject: `إعادة تعيين كلمة المرور في ${app}`,
      heading: 'إعادة تعيين كلمة المرور',
      intro: [
        `طلب شخص ما، نأمل أن تكون أنت، إعادة تعيين كلمة مرور حساب ${app} ‏${to}.`,
        'لاختيار كلمة مرور جديدة، افتح هذا الرابط:',
      ],
      button: 'اختيار كلمة مرور جديدة',
      ignore: 'تبقى كلمة مرورك كما هي.',
    }),
    enroll: (app, to) => ({
      subject: `أُنشئ لك حساب في ${app}`,
      heading: 'حسابك الجديد',
      intro: [`أُنشئ حساب في ${app} للعنوان ${to}.`, 'لبدء استخدامه، اختر كلمة مرور من هنا:'],
      button: 'اختيار كلمة المرور',
      ignore: 'يبقى الحساب بلا كلمة مرور.',
    }),
    'signup-attempt': (app, to) => ({
      subject: `حاول شخص ما التسجيل في ${app} بعنوانك`,
      heading: 'لديك حساب بالفعل',
      intro: [
        `حاول شخص ما، نأمل أن تكون أنت، إنشاء حساب في ${app} بالعنوان ${to}، وله حساب بالفعل.`,
        'إن كنت أنت، فسجّل الدخول. وإن نسيت كلمة المرور، فاختر واحدة جديدة من هنا:',
      ],
      button: 'إعادة تعيين كلمة المرور',
      ignore: 'لم يتغيّر شيء.',
    }),
    'login-code': (app, to, code) => ({
      subject: `رمز تسجيل الدخول إلى ${app}`,
      heading: `رمز تسجيل الدخول: ${code}`,
      intro: [
        `طلب شخص ما، نأمل أن تكون أنت، تسجيل الدخول إلى ${app} باسم ${to}.`,
        `اكتب هذا الرمز في نموذج تسجيل الدخول: ${code}`,
        'أو افتح هذا الرابط لتسجيل الدخول فورًا:',
      ],
      button: 'تسجيل الدخول',
      ignore: 'لا يمكن لأحد تسجيل الدخول دون الرمز.',
    }),
  },
  expires: (d) => `تنتهي صلاحية الرابط خلال ${d}.`,
  ignore: (rest) => `إن لم تطلب ذلك، فتجاهل هذه الرسالة: ${rest}`,
  copyLink: 'إن لم يعمل الزر، فانسخ هذا الرابط إلى متصفحك:',
  duration: (n, unit) => AR_UNITS[unit][arabicPlural.select(n)](n),
};

const WORDS: Record<string, LanguageWords> = { en, de, fr, es, ja, ar };

/** The built-in words of `lang` (one of {@link BUILT_IN_LANGUAGES}; anything else gets English). */
export function wordsOf(lang: string): LanguageWords {
  return WORDS[lang] ?? en;
}

/** `1800000` → `30 minutes` (or `30 Minuten`, `30分`, …): whole days from 3 days, else hours, else minutes. */
export function formatDuration(ms: number, lang = 'en'): string {
  const words = wordsOf(lang);
  const units: [number, 'day' | 'hour' | 'minute'][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (ms % size === 0 && ms >= size && !(unit === 'day' && ms / size < 3)) return words.duration(ms / size, unit);
  }
  return words.duration(Math.max(1, Math.round(ms / 60_000)), 'minute');
}

const TAG = /^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$/i;

/**
 * The languages a request asks for, best first: an explicit `lang` (a query parameter), then the
 * `Accept-Language` header by its q-values. Malformed entries are skipped; `*` is ignored.
 *
 * @example
 * ```ts
 * requestedLanguages('fr-CH, fr;q=0.9, en;q=0.8', null); // ['fr-CH', 'fr', 'en']
 * ```
 */
export function requestedLanguages(acceptLanguage: string | null | undefined, lang?: string | null): string[] {
  const out: string[] = [];
  if (lang && TAG.test(lang)) out.push(lang);
  const entries: { tag: string; q: number; index: number }[] = [];
  for (const [index, part] of (acceptLanguage ?? '').slice(0, 512).split(',').entries()) {
    const [tag = '', ...params] = part.trim().split(';');
    if (!TAG.test(tag)) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0 || q > 1) continue;
    entries.push({ tag, q, index });
  }
  entries.sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of entries) out.push(tag);
  return out;
}

/**
 * The first of `requested` that `available` has — exactly (case-insensitive), else by its primary subtag
 * (`de-AT` → `de`) — or `fallback` (English).
 */
export function pickLanguage(requested: readonly string[], available: Iterable<string>, fallback = 'en'): string {
  const list = [...available];
  for (const tag of requested) {
    const exact = list.find((a) => a.toLowerCase() === tag.toLowerCase());
    if (exact) return exact;
    const primary = tag.split('-')[0]?.toLowerCase();
    const loose = list.find((a) => a.toLowerCase() === primary);
    if (loose) return loose;
  }
  return fallback;
}
