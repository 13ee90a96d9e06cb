using Bazaar.Server.Conversations;

namespace Bazaar.Server.Checks;

/// <summary>The paid checks' bot texts in English and Russian (HTML; placeholders are filled with encoded values).</summary>
public static class CheckTexts
{
    public static readonly Localized CreditsAdded = new(
        "✅ <b>{0}</b> check credits added ({1}). Your balance: <b>{2}</b> credits.\nStart a check with /check.",
        "✅ Начислено <b>{0}</b> кредитов на проверки ({1}). Ваш баланс: <b>{2}</b>.\nЗапустите проверку командой /check.");
    public static readonly Localized CreditsBalance = new("Check credits: <b>{0}</b>", "Кредиты на проверки: <b>{0}</b>");

    public static readonly Localized BuyCommand = new("Buy check credits", "Купить кредиты на проверки");
    public static readonly Localized CheckCommand = new("Instagram mutual-follow check: /check username, or send your export ZIP",
        "Проверка взаимных подписок Instagram: /check username или пришлите ZIP-выгрузку");
    public static readonly Localized StatusCommand = new("Your checks and their place in the queue", "Ваши проверки и место в очереди");
    public static readonly Localized LastCommand = new("Send the latest check report again", "Прислать последний отчёт ещё раз");

    public static readonly Localized ChooseTariff = new("💳 <b>Check credits</b>\nYou have <b>{0}</b>. Choose a package:",
        "💳 <b>Кредиты на проверки</b>\nУ вас <b>{0}</b>. Выберите пакет:");
    public static readonly Localized NoTariffs = new("No packages are on sale right now. Please try again later.", "Сейчас пакеты не продаются. Попробуйте позже.");
    public static readonly Localized TariffButton = new("{0} · {1} credits · {2}", "{0} · {1} кр. · {2}");
    public static readonly Localized ChooseMethod = new("<b>{0}</b>: {1} credits for {2}.\nHow would you like to pay?",
        "<b>{0}</b>: {1} кредитов за {2}.\nКак оплатить?");
    public static readonly Localized PayStars = new("⭐ {0} Stars", "⭐ {0} Stars");
    public static readonly Localized PayRobokassa = new("💳 Robokassa", "💳 Robokassa");
    public static readonly Localized PayStripe = new("💳 Card (Stripe)", "💳 Карта (Stripe)");
    public static readonly Localized PayWallet = new("👛 From wallet ({0})", "👛 С баланса ({0})");
    public static readonly Localized Back = new("« Back", "« Назад");
    public static readonly Localized PayLink = new("Pay {0} here; the credits are added as soon as the payment is confirmed.",
        "Оплатите {0} по ссылке; кредиты начислятся сразу после подтверждения оплаты.");
    public static readonly Localized PayButton = new("Pay", "Оплатить");
    public static readonly Localized LinkComing = new("⏳ Preparing your payment link…", "⏳ Готовлю ссылку на оплату…");
    public static readonly Localized StarsInvoiceSent = new("⭐ The invoice is below.", "⭐ Счёт ниже.");
    public static readonly Localized NotEnoughMoney = new("Your wallet holds {0}, not enough for {1}. Top it up with /wallet or choose another method.",
        "На балансе {0}, а нужно {1}. Пополните через /wallet или выберите другой способ.");
    public static readonly Localized BoughtFromWallet = new("✅ {0} credits added. Your balance: <b>{1}</b> credits.\nStart a check with /check.",
        "✅ Начислено {0} кредитов. Ваш баланс: <b>{1}</b>.\nЗапустите проверку командой /check.");
    public static readonly Localized TariffGone = new("This package is no longer on sale. Open /buy again.", "Этот пакет больше не продаётся. Откройте /buy снова.");

    public static readonly Localized HowTo = new(
        "🔎 <b>Who doesn't follow you back?</b>\nTwo ways:\n" +
        "1. Send me your Instagram export as a ZIP: Settings → Accounts Center → Your information and permissions → Download your information → " +
        "<i>Followers and following</i>, format <b>JSON</b>. Send the ZIP here as a file.\n" +
        "2. <code>/check username</code>{0}\n\nEach check costs 1 credit; you have <b>{1}</b>.",
        "🔎 <b>Кто не подписан на вас в ответ?</b>\nДва способа:\n" +
        "1. Пришлите выгрузку Instagram в ZIP: Настройки → Центр аккаунтов → Ваша информация и разрешения → Скачать информацию → " +
        "<i>Подписчики и подписки</i>, формат <b>JSON</b>. Отправьте ZIP сюда файлом.\n" +
        "2. <code>/check username</code>{0}\n\nПроверка стоит 1 кредит; у вас <b>{1}</b>.");
    public static readonly Localized LiveOff = new(" (reads the account live; not enabled on this bot, so use the export)",
        " (читает аккаунт напрямую; на этом боте выключено — используйте выгрузку)");
    public static readonly Localized LiveOn = new(" — I read a public account's lists directly, no file needed.", " — я прочитаю списки открытого аккаунта напрямую, файл не нужен.");
    public static readonly Localized SendExport = new("📦 Now send me the export ZIP of <b>{0}</b> as a file (JSON format).",
        "📦 Теперь пришлите ZIP-выгрузку аккаунта <b>{0}</b> файлом (формат JSON).");
    public static readonly Localized BadUsername = new("That is not an Instagram username. Try <code>/check username</code>.",
        "Это не имя пользователя Instagram. Попробуйте <code>/check username</code>.");
    public static readonly Localized NotAZip = new("Please send the export as a <b>.zip</b> file (the archive Instagram gives you, JSON format).",
        "Пришлите выгрузку файлом <b>.zip</b> (архив от Instagram, формат JSON).");
    public static readonly Localized TooBig = new("This file is over {0} MB. Export only \"Followers and following\" and send that ZIP.",
        "Файл больше {0} МБ. Выгрузите только «Подписчики и подписки» и пришлите этот ZIP.");
    public static readonly Localized NoCredits = new("You have no check credits left. Buy a package with /buy, then start the check again.",
        "Кредиты на проверки закончились. Купите пакет через /buy и запустите проверку снова.");
    public static readonly Localized BuyButton = new("💳 Buy credits", "💳 Купить кредиты");
    public static readonly Localized Queued = new("✅ Check #{0} is queued: place <b>{1}</b>. One credit spent, {2} left.\nI'll send the report when it's done; /status shows your place.",
        "✅ Проверка #{0} в очереди: место <b>{1}</b>. Списан 1 кредит, осталось {2}.\nПришлю отчёт, когда будет готово; /status покажет место в очереди.");
    public static readonly Localized CancelButton = new("✖ Cancel check #{0}", "✖ Отменить проверку #{0}");
    public static readonly Localized Cancelled = new("Check #{0} cancelled; the credit is back on your balance.", "Проверка #{0} отменена; кредит возвращён.");
    public static readonly Localized CannotCancel = new("Check #{0} has already started, so it can't be cancelled.", "Проверка #{0} уже началась, отменить нельзя.");
    public static readonly Localized NoChecks = new("You have no checks yet. /check explains how to start one.", "Проверок пока нет. /check расскажет, как начать.");
    public static readonly Localized StatusQueued = new("#{0} · queued, place {1}", "#{0} · в очереди, место {1}");
    public static readonly Localized StatusRunning = new("#{0} · running now", "#{0} · выполняется");
    public static readonly Localized StatusDone = new("#{0} · done: {1} not following back", "#{0} · готово: {1} не подписаны в ответ");
    public static readonly Localized StatusFailed = new("#{0} · failed{1}", "#{0} · не удалась{1}");
    public static readonly Localized StatusCancelled = new("#{0} · cancelled", "#{0} · отменена");
    public static readonly Localized StatusTitle = new("🔎 <b>Your checks</b>", "🔎 <b>Ваши проверки</b>");
    public static readonly Localized NoReport = new("No finished check yet. /check explains how to start one.", "Готовых проверок пока нет. /check расскажет, как начать.");
    public static readonly Localized FailedRefunded = new("⚠️ Check #{0} could not be completed: the source was unavailable. Your credit has been refunded; please try again later.",
        "⚠️ Проверку #{0} не удалось выполнить: источник недоступен. Кредит возвращён; попробуйте позже.");
    public static readonly Localized FailedInput = new("⚠️ Check #{0} could not read your file: {1}\nYour credit has been refunded.",
        "⚠️ Проверка #{0} не смогла прочитать файл: {1}\nКредит возвращён.");

    // The export's reasons ({1} a limit or a file name).
    public static readonly Localized ExportNotAnExport = new(
        "this is not an Instagram export with followers_1.json and following.json. In Instagram: Settings → Accounts Center → " +
        "Your information and permissions → Download your information → <i>Followers and following</i>, format <b>JSON</b>. Then send me the ZIP.",
        "это не выгрузка Instagram с followers_1.json и following.json. В Instagram: Настройки → Центр аккаунтов → " +
        "Ваша информация и разрешения → Скачать информацию → <i>Подписчики и подписки</i>, формат <b>JSON</b>. Затем пришлите ZIP.");
    public static readonly Localized ExportTooLarge = new("the archive is larger than {1} MB. Export only \"Followers and following\" in JSON format.",
        "архив больше {1} МБ. Выгрузите только «Подписчики и подписки» в формате JSON.");
    public static readonly Localized ExportTooManyEntries = new("the archive holds more than {1} files. Export only \"Followers and following\".",
        "в архиве больше {1} файлов. Выгрузите только «Подписчики и подписки».");
    public static readonly Localized ExportTraversal = new("the archive contains a file with an unsafe path, so it was refused. Send the ZIP exactly as Instagram made it.",
        "в архиве есть файл с небезопасным путём, поэтому он отклонён. Пришлите ZIP в том виде, в каком его сделал Instagram.");
    public static readonly Localized ExportBomb = new("the archive unpacks to far more than an Instagram export would, so it was refused.",
        "архив распаковывается в гораздо больший объём, чем выгрузка Instagram, поэтому он отклонён.");
    public static readonly Localized ExportBadJson = new("{1} in the archive is not valid JSON. Request the export in JSON format (not HTML).",
        "{1} в архиве — не JSON. Запросите выгрузку в формате JSON (не HTML).");
    public static readonly Localized ExportNoFile = new("this check has no export archive to read. Send the ZIP with /check.",
        "у этой проверки нет архива. Пришлите ZIP через /check.");

    public static readonly Localized LiveQueued = new("🔎 Reading <b>@{0}</b> live.", "🔎 Читаю <b>@{0}</b> напрямую.");
    public static readonly Localized FailedLive = new("⚠️ Check #{0} of <b>@{1}</b> could not be done: {2}\nYour credit has been refunded.",
        "⚠️ Проверку #{0} аккаунта <b>@{1}</b> выполнить не удалось: {2}\nКредит возвращён.");
    // The live source's reasons ({0} the account, {1} the limit): what went wrong and what to do instead.
    public static readonly Localized LivePrivate = new("@{0} is a private account, so its lists can't be read. Make it public for a while, or send your export ZIP (/check).",
        "@{0} — закрытый аккаунт, его списки прочитать нельзя. Откройте его на время или пришлите ZIP-выгрузку (/check).");
    public static readonly Localized LiveNotFound = new("there is no Instagram account @{0}. Check the spelling and try <code>/check username</code> again.",
        "аккаунта Instagram @{0} нет. Проверьте написание и повторите <code>/check username</code>.");
    public static readonly Localized LiveTooLarge = new("@{0} has more than {1} followers and following together, too many to read live. Send your export ZIP instead (/check).",
        "у @{0} больше {1} подписчиков и подписок вместе — слишком много для чтения напрямую. Пришлите ZIP-выгрузку (/check).");
    public static readonly Localized LiveUnavailable = new("reading accounts live is unavailable right now. Send your export ZIP instead (/check), or try again later.",
        "чтение аккаунтов напрямую сейчас недоступно. Пришлите ZIP-выгрузку (/check) или попробуйте позже.");
    public static readonly Localized LiveSourceOff = new("reading accounts live is not enabled on this bot. Send your export ZIP instead (/check).",
        "чтение аккаунтов напрямую на этом боте выключено. Пришлите ZIP-выгрузку (/check).");
    public static readonly Localized LiveNoTarget = new("no account was given. Use <code>/check username</code>.",
        "не указан аккаунт. Используйте <code>/check username</code>.");

    public static string Summary(Check c, string lang) => lang == Languages.Russian
        ? $"✅ Проверка #{c.Id} готова{(c.Target is null ? "" : $" ({System.Net.WebUtility.HtmlEncode(c.Target)})")}\n" +
          $"Подписчики: <b>{c.Followers}</b> · подписки: <b>{c.Following}</b> · взаимные: <b>{c.Mutual}</b>\n" +
          $"Не подписаны в ответ: <b>{c.NotFollowingBack}</b>\nВы не подписаны в ответ: <b>{c.NotFollowedBack}</b>\nПолный список — в файле."
        : $"✅ Check #{c.Id} is done{(c.Target is null ? "" : $" ({System.Net.WebUtility.HtmlEncode(c.Target)})")}\n" +
          $"Followers: <b>{c.Followers}</b> · following: <b>{c.Following}</b> · mutual: <b>{c.Mutual}</b>\n" +
          $"Not following you back: <b>{c.NotFollowingBack}</b>\nYou don't follow back: <b>{c.NotFollowedBack}</b>\nThe full lists are in the file.";
}
