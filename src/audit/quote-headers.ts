/**
 * How mail clients introduce the quoted history, one table row per language: the verbs of
 * "On … X wrote:" attributions, the words a wrapped attribution begins with, the field names
 * of a quoted message's header block (Outlook's "From: / Sent: / To: / Subject:" and its
 * translations), and the "Original Message" / "Forwarded message" separators.
 *
 * Entries are regular-expression fragments, matched case-insensitively on trimmed lines with
 * typographic apostrophes straightened; letters with accents are written `[üu]` where clients
 * or transcoding drop them. `quote.ts` compiles the table into the patterns it tests.
 */
export interface QuoteHeaderLanguage {
  /** Attribution verbs and what may follow them before the final ":" ("schrieb am … Uhr"). */
  verbs: string[];
  /** How the first line of an attribution wrapped over several lines begins ("Am", "Op"). */
  starts: string[];
  /** The sender field of a header block ("From", "Von"). */
  from: string[];
  /** The other fields of a header block ("Sent", "To", "Subject"). */
  fields: string[];
  /** The words between the dashes of a separator ("Original Message"). */
  separators: string[];
  /** A forwarded message's introduction, ending in ":" ("Begin forwarded message:"). */
  forwardIntros?: string[];
}

export const QUOTE_HEADERS: Readonly<Record<string, QuoteHeaderLanguage>> = {
  en: {
    verbs: ['wrote', 'writes'],
    starts: ['on', '-+ ?on'],
    from: ['from'],
    fields: ['sent', 'date', 'to', 'cc', 'subject'],
    separators: ['original message', 'forwarded message'],
    forwardIntros: ['begin forwarded message'],
  },
  fr: {
    verbs: ['a\\s+écrit'],
    starts: ['le'],
    from: ['de'],
    fields: ['envoy[ée]', '[àa]', 'cc', 'objet', 'date'],
    separators: ["message d'origine", 'message original', 'message transf[ée]r[ée]', 'message r[ée]exp[ée]di[ée]'],
    forwardIntros: ['d[ée]but du message (?:r[ée]exp[ée]di[ée]|transf[ée]r[ée])'],
  },
  de: {
    verbs: ['schrieb', 'schrieb\\s+am\\s.*'],
    starts: ['am'],
    from: ['von'],
    fields: ['gesendet', 'datum', 'an', 'cc', 'betreff'],
    separators: ['urspr[üu]ngliche nachricht', 'weitergeleitete nachricht'],
    forwardIntros: ['anfang der weitergeleiteten nachricht'],
  },
  nl: {
    verbs: ['schreef\\s.*', 'het\\s+volgende\\s+geschreven'],
    starts: ['op'],
    from: ['van'],
    fields: ['verzonden', 'datum', 'aan', 'cc', 'onderwerp'],
    separators: ['oorspronkelijk bericht', 'doorgestuurd bericht'],
  },
  it: {
    verbs: ['ha\\s+scritto'],
    starts: ['il', 'in data'],
    from: ['da'],
    fields: ['inviato', 'data', 'a', 'cc', 'oggetto'],
    separators: ['messaggio originale', 'messaggio inoltrato'],
  },
  es: {
    verbs: ['escribi[óo]'],
    starts: ['el'],
    from: ['de'],
    fields: ['enviado', 'fecha', 'para', 'cc', 'asunto'],
    separators: ['mensaje original', 'mensaje reenviado'],
  },
  pt: {
    verbs: ['escreveu'],
    starts: ['em', 'no dia'],
    from: ['de'],
    fields: ['enviado', 'enviada', 'data', 'para', 'cc', 'assunto'],
    separators: ['mensagem original', 'mensagem encaminhada'],
  },
  pl: {
    verbs: ['napisa[łl](?:\\(a\\)|a)?', 'pisze'],
    starts: ['w dniu', 'dnia'],
    from: ['od'],
    fields: ['wys[łl]ano', 'data', 'do', 'dw', 'temat'],
    separators: ['oryginalna wiadomo[śs][ćc]', 'wiadomo[śs][ćc] przekazana'],
  },
  // Swedish, Norwegian and Danish share "skrev"; the name may follow it ("kl. 20.42 skrev X <x@y>:")
  sv: {
    verbs: ['skrev(?:\\s.*)?'],
    starts: ['den'],
    from: ['fr[åa]n'],
    fields: ['skickat', 'datum', 'till', 'kopia', '[äa]mne'],
    separators: ['ursprungligt meddelande', 'vidarebefordrat meddelande'],
  },
  no: {
    verbs: ['skrev(?:\\s.*)?'],
    starts: ['den'],
    from: ['fra'],
    fields: ['sendt', 'dato', 'til', 'kopi', 'emne'],
    separators: ['opprinnelig melding', 'videresendt melding'],
  },
  da: {
    verbs: ['skrev(?:\\s.*)?'],
    starts: ['den'],
    from: ['fra'],
    fields: ['sendt', 'dato', 'til', 'cc', 'emne'],
    separators: ['oprindelig (?:besked|meddelelse)', 'videresendt (?:besked|meddelelse)'],
  },
  fi: {
    verbs: ['kirjoitti'],
    starts: [],
    from: ['l[äa]hett[äa]j[äa]'],
    fields: ['l[äa]hetetty', 'vastaanottaja', 'kopio', 'aihe'],
    separators: ['alkuper[äa]inen viesti', 'v[äa]litetty viesti'],
  },
  cs: {
    verbs: ['napsal(?:\\(a\\)|a)?'],
    starts: ['dne'],
    from: ['od'],
    fields: ['odesl[áa]no', 'komu', 'kopie', 'p[řr]edm[ěe]t'],
    separators: ['p[ůu]vodn[íi] zpr[áa]va', 'p[řr]eposlan[áa] zpr[áa]va'],
  },
  ru: {
    verbs: ['написал(?:\\(а\\)|а)?'],
    starts: [],
    from: ['от'],
    fields: ['отправлено', 'дата', 'кому', 'копия', 'тема'],
    separators: ['исходное сообщение', 'пересылаемое сообщение'],
  },
  uk: {
    verbs: ['пише', 'написав(?:\\(ла\\)|ла)?'],
    starts: [],
    from: ['від'],
    fields: ['надіслано', 'дата', 'кому', 'копія', 'тема'],
    separators: ['вихідне повідомлення', 'переслане повідомлення'],
  },
  vi: {
    verbs: ['[đd][ãa] vi[ếe]t'],
    starts: ['v[àa]o'],
    from: ['t[ừu]'],
    fields: ['[đd][ãa] g[ửu]i', 'ng[àa]y', '[đd][ếe]n', 'ch[ủu] [đd][ềe]'],
    separators: ['th[ưu] g[ốo]c'],
  },
  // Chinese and Japanese clients end the attribution with a full-width colon ("写道：")
  zh: {
    verbs: ['写道', '寫道'],
    starts: ['在'],
    from: ['发件人', '寄件者'],
    fields: ['发送时间', '日期', '收件人', '抄送', '主题'],
    separators: ['原始邮件', '原始郵件'],
  },
  ja: {
    verbs: ['が書きました', 'のメッセージ', 'のメール'],
    starts: [],
    from: ['差出人', '送信者'],
    fields: ['送信日時', '日付', '宛先', '件名'],
    separators: ['元のメッセージ', '転送メッセージ'],
  },
};
