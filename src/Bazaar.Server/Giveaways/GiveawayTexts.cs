using Bazaar.Server.Conversations;

namespace Bazaar.Server.Giveaways;

/// <summary>The giveaways' bot texts in English and Russian (HTML; placeholders are filled with encoded values).</summary>
public static class GiveawayTexts
{
    public static readonly Localized GiveawaysCommand = new("Running giveaways", "Текущие розыгрыши");
    public static readonly Localized DidIWinCommand = new("Did I win a giveaway?", "Выиграл ли я в розыгрыше?");
    public static readonly Localized GiveawaysButton = new("🎁 Giveaways", "🎁 Розыгрыши");

    public static readonly Localized NoneRunning = new("No giveaway is running right now. Come back later!", "Сейчас нет активных розыгрышей. Загляните позже!");
    public static readonly Localized ListHeader = new("🎁 <b>Running giveaways</b>", "🎁 <b>Текущие розыгрыши</b>");
    public static readonly Localized Post = new(
        "🎁 <b>{0}</b>\n{1}\n\n🏆 Prize: {2}\n👥 Winners: {3}\n⏰ Ends: {4} UTC\n🙋 Participants: {5}\n\n🔒 Fair draw commitment: <code>{6}</code>",
        "🎁 <b>{0}</b>\n{1}\n\n🏆 Приз: {2}\n👥 Победителей: {3}\n⏰ Окончание: {4} UTC\n🙋 Участников: {5}\n\n🔒 Обязательство честного розыгрыша: <code>{6}</code>");
    public static readonly Localized PostResults = new(
        "🎁 <b>{0}</b> has ended.\n🙋 Participants: {1}\n🏆 Winners (participant numbers): {2}\n\n🔍 Check the draw: {3}",
        "🎁 Розыгрыш <b>{0}</b> завершён.\n🙋 Участников: {1}\n🏆 Победители (номера участников): {2}\n\n🔍 Проверить розыгрыш: {3}");
    public static readonly Localized Join = new("🙋 Join", "🙋 Участвовать");
    public static readonly Localized CheckAgain = new("🔄 Check again", "🔄 Проверить снова");
    public static readonly Localized DidIWinButton = new("🏆 Did I win?", "🏆 Я выиграл?");

    public static readonly Localized NotFound = new("This giveaway does not exist. Use /giveaways to see the running ones.", "Такого розыгрыша нет. Текущие розыгрыши: /giveaways");
    public static readonly Localized NotStarted = new("⏳ This giveaway starts at {0} UTC. Come back then!", "⏳ Розыгрыш начнётся {0} UTC. Возвращайтесь!");
    public static readonly Localized Ended = new("⌛ This giveaway has ended; joining is closed. Use /giveaways to see the running ones.", "⌛ Розыгрыш завершён, участие закрыто. Текущие розыгрыши: /giveaways");
    public static readonly Localized Already = new("✅ You are already participating in <b>{0}</b> (participant #{1}).", "✅ Вы уже участвуете в розыгрыше <b>{0}</b> (участник №{1}).");
    public static readonly Localized Joined = new("🎉 You are in! Participant #{1} in <b>{0}</b>. Winners are drawn at {2} UTC.", "🎉 Вы участвуете! Участник №{1} в розыгрыше <b>{0}</b>. Итоги {2} UTC.");

    public static readonly Localized Captcha = new("🤖 One quick check that you are human (only once, for every giveaway):\n<b>{0} = ?</b>\nReply with the number.",
        "🤖 Короткая проверка, что вы человек (один раз для всех розыгрышей):\n<b>{0} = ?</b>\nОтветьте числом.");
    public static readonly Localized CaptchaWrong = new("❌ Not quite. Attempts left: {0}. Try again:", "❌ Неверно. Осталось попыток: {0}. Попробуйте ещё раз:");
    public static readonly Localized CaptchaFailed = new("❌ That was the last attempt. You can get a new question in {0} s: press Join again then.",
        "❌ Это была последняя попытка. Новый вопрос можно получить через {0} с: тогда нажмите «Участвовать» снова.");
    public static readonly Localized CaptchaCooldown = new("⏳ Please wait {0} s before a new question.", "⏳ Подождите {0} с до нового вопроса.");
    public static readonly Localized CaptchaExpired = new("⌛ The question expired. Here is a new one:", "⌛ Время вопроса истекло. Вот новый:");
    public static readonly Localized CaptchaPassed = new("✅ Thanks, you passed the check.", "✅ Спасибо, проверка пройдена.");
    public static readonly Localized NotANumber = new("Please reply with a number, e.g. 12.", "Ответьте числом, например 12.");

    // The emoji captcha (Giveaways:Captcha:Kind = emoji): a named emoji to press among a keyboard of them.
    public static readonly Localized CaptchaEmojiAsk = new("🤖 One quick check that you are human (only once, for every giveaway):\nPress the <b>{0}</b>.",
        "🤖 Короткая проверка, что вы человек (один раз для всех розыгрышей):\nНажмите на картинку: <b>{0}</b>.");
    public static readonly Localized CaptchaEmojiAgain = new("Press the <b>{0}</b>.", "Нажмите на картинку: <b>{0}</b>.");
    public static readonly Localized PressAButton = new("Please press one of the buttons under the question.", "Нажмите одну из кнопок под вопросом.");
    public static readonly Localized CaptchaStale = new("⌛ That question is no longer valid. Press a button of the latest one, or Join again.",
        "⌛ Этот вопрос больше не действует. Нажмите кнопку в последнем вопросе или «Участвовать» снова.");

    /// <summary>The emoji the emoji captcha picks from, each named in both languages (none needs a variation selector).</summary>
    public static readonly IReadOnlyList<(string Emoji, Localized Name)> CaptchaEmoji =
    [
        ("🐶", new("dog", "собака")), ("🐱", new("cat", "кошка")), ("🐭", new("mouse", "мышь")), ("🐰", new("rabbit", "кролик")),
        ("🦊", new("fox", "лиса")), ("🐻", new("bear", "медведь")), ("🐼", new("panda", "панда")), ("🐸", new("frog", "лягушка")),
        ("🐵", new("monkey", "обезьяна")), ("🐧", new("penguin", "пингвин")), ("🐢", new("turtle", "черепаха")), ("🐙", new("octopus", "осьминог")),
        ("🦋", new("butterfly", "бабочка")), ("🐝", new("bee", "пчела")), ("🍎", new("apple", "яблоко")), ("🍌", new("banana", "банан")),
        ("🍓", new("strawberry", "клубника")), ("🍇", new("grapes", "виноград")), ("🍉", new("watermelon", "арбуз")), ("🥕", new("carrot", "морковь")),
        ("🍕", new("pizza", "пицца")), ("🚗", new("car", "машина")), ("🚲", new("bicycle", "велосипед")), ("🎸", new("guitar", "гитара")),
        ("🔑", new("key", "ключ")), ("🎈", new("balloon", "воздушный шарик")),
    ];

    public static readonly Localized Checking = new("🔎 Checking your subscriptions…", "🔎 Проверяем подписки…");
    public static readonly Localized NotSubscribed = new("To take part in <b>{0}</b>, subscribe to:\n{1}\n\nThen press “Check again”.",
        "Чтобы участвовать в розыгрыше <b>{0}</b>, подпишитесь на:\n{1}\n\nЗатем нажмите «Проверить снова».");
    public static readonly Localized CheckFailed = new("😔 We could not check your subscriptions just now. Please press “Check again” in a minute.",
        "😔 Сейчас не удалось проверить подписки. Нажмите «Проверить снова» через минуту.");

    public static readonly Localized YouWon = new("🏆 Congratulations! You won <b>{0}</b> in the giveaway <b>{1}</b>. We will contact you about the prize.\n\n🔍 The draw: {2}",
        "🏆 Поздравляем! Вы выиграли <b>{0}</b> в розыгрыше <b>{1}</b>. Мы свяжемся с вами насчёт приза.\n\n🔍 Розыгрыш: {2}");
    public static readonly Localized Results = new("🎁 The giveaway <b>{0}</b> has ended. This time you did not win, thanks for taking part!\n\n🔍 The draw: {1}",
        "🎁 Розыгрыш <b>{0}</b> завершён. В этот раз вы не выиграли, спасибо за участие!\n\n🔍 Розыгрыш: {1}");
    public static readonly Localized WonLine = new("🏆 <b>{0}</b>: you won!", "🏆 <b>{0}</b>: вы выиграли!");
    public static readonly Localized LostLine = new("▫️ <b>{0}</b>: not this time.", "▫️ <b>{0}</b>: в этот раз нет.");
    public static readonly Localized PendingLine = new("⏳ <b>{0}</b>: winners are drawn at {1} UTC.", "⏳ <b>{0}</b>: итоги {1} UTC.");
    public static readonly Localized NotParticipating = new("You have not joined any giveaway yet. See /giveaways.", "Вы ещё не участвовали в розыгрышах. Смотрите /giveaways.");

    // Creating a giveaway in the bot (/newgiveaway, admins only)
    public static readonly Localized NewStart = new("🎁 <b>New giveaway</b>. Send /cancel at any time to stop.\n\n1/10 The title (up to 200 characters):",
        "🎁 <b>Новый розыгрыш</b>. Чтобы прервать, отправьте /cancel.\n\n1/10 Название (до 200 символов):");
    public static readonly Localized AskDescription = new("2/10 The description (up to 4000 characters), or “skip”:", "2/10 Описание (до 4000 символов) или «пропустить»:");
    public static readonly Localized AskPrize = new("3/10 The prize (up to 1000 characters):", "3/10 Приз (до 1000 символов):");
    public static readonly Localized AskPhoto = new("4/10 Send a photo for the post (or an https link to one), or “skip”:",
        "4/10 Пришлите фото для поста (или https-ссылку на него) или «пропустить»:");
    public static readonly Localized AskWinners = new("5/10 How many winners? A number from 1 to 10000:", "5/10 Сколько победителей? Число от 1 до 10000:");
    public static readonly Localized AskChannels = new(
        "6/10 The channels or groups participants must be subscribed to: @name or -100… ids, separated by spaces or lines (I must be an admin in each), or “none”:",
        "6/10 Каналы или группы, на которые участники должны быть подписаны: @name или id вида -100…, через пробел или с новой строки (я должен быть там администратором), или «нет»:");
    public static readonly Localized CheckingAdmin = new("🔎 Checking that I am an admin in: {0}…", "🔎 Проверяю, что я администратор в: {0}…");
    public static readonly Localized StillChecking = new("⏳ Still checking the channels, one moment…", "⏳ Ещё проверяю каналы, минутку…");
    public static readonly Localized ChannelsOk = new("✅ I am an admin in: {0}", "✅ Я администратор в: {0}");
    public static readonly Localized NoChannels = new("✅ No required channels.", "✅ Без обязательных каналов.");
    public static readonly Localized NotAdminIn = new("❌ I am not an admin in: {0}\nAdd me there as an administrator and send the list again (or “none”).",
        "❌ Я не администратор в: {0}\nДобавьте меня туда администратором и пришлите список снова (или «нет»).");
    public static readonly Localized AdminCheckFailed = new("😔 Telegram did not answer just now. Please send the chats again.",
        "😔 Telegram сейчас не ответил. Пришлите чаты ещё раз.");
    public static readonly Localized AskStart = new("7/10 When does it start? “now”, a UTC time such as 2026-12-24 18:00, or a delay such as 2h:",
        "7/10 Когда начало? «сейчас», время UTC, например 2026-12-24 18:00, или задержка, например 2h:");
    public static readonly Localized AskEnd = new("8/10 When does it end? A UTC time such as 2026-12-31 18:00, or a length from the start such as 7d, 12h or 90m:",
        "8/10 Когда конец? Время UTC, например 2026-12-31 18:00, или длительность от начала, например 7d, 12h или 90m:");
    public static readonly Localized AskCondition = new("9/10 Draw only at the end time, or as soon as N people have joined? Press the button, or send N:",
        "9/10 Подводить итоги только в указанное время или как только наберётся N участников? Нажмите кнопку или пришлите N:");
    public static readonly Localized AskPublish = new("10/10 Where should I post it? The channel (@name or -100…) where I am an admin who can post:",
        "10/10 Куда опубликовать? Канал (@name или -100…), где я администратор с правом публикации:");
    public static readonly Localized Summary = new(
        "Please check:\n\n🎁 <b>{0}</b>\n{1}\n🏆 Prize: {2}\n🖼 Photo: {3}\n👥 Winners: {4}\n📢 Required: {5}\n⏰ {6} → {7} UTC\n🏁 Ends: {8}\n📣 Post in: {9}\n\nPublish it?",
        "Проверьте:\n\n🎁 <b>{0}</b>\n{1}\n🏆 Приз: {2}\n🖼 Фото: {3}\n👥 Победителей: {4}\n📢 Обязательные: {5}\n⏰ {6} → {7} UTC\n🏁 Окончание: {8}\n📣 Пост в: {9}\n\nПубликуем?");
    public static readonly Localized Yes = new("yes", "да");
    public static readonly Localized No = new("no", "нет");
    public static readonly Localized None = new("none", "нет");
    public static readonly Localized AtEndTime = new("at the end time", "в указанное время");
    public static readonly Localized AtEndTimeOrN = new("at the end time or at {0} participants", "в указанное время или при {0} участниках");
    public static readonly Localized Published = new("✅ Giveaway #{0} is published in {1}.\n🔗 Join link: {2}\n🔒 Commitment: <code>{3}</code>",
        "✅ Розыгрыш №{0} опубликован в {1}.\n🔗 Ссылка для участия: {2}\n🔒 Обязательство: <code>{3}</code>");
    public static readonly Localized NothingToPublish = new("There is no giveaway being prepared. Start one with /newgiveaway.",
        "Сейчас нет готовящегося розыгрыша. Начните с /newgiveaway.");
    public static readonly Localized SkipButton = new("⏭ Skip", "⏭ Пропустить");
    public static readonly Localized NoChannelsButton = new("➖ No channels", "➖ Без каналов");
    public static readonly Localized StartNowButton = new("▶️ Now", "▶️ Сейчас");
    public static readonly Localized AtEndTimeButton = new("⏰ Only at the end time", "⏰ Только по времени");
    public static readonly Localized PublishButton = new("✅ Publish", "✅ Опубликовать");
    public static readonly Localized CancelButton = new("✖ Cancel", "✖ Отмена");
    public static readonly Localized CreationCancelled = new("The new giveaway was discarded.", "Новый розыгрыш отменён.");

    public static readonly Localized BadTitle = new("⚠️ The title must be 1 to 200 characters. Try again:", "⚠️ Название — от 1 до 200 символов. Попробуйте ещё раз:");
    public static readonly Localized BadDescription = new("⚠️ The description is at most 4000 characters ({0} sent). Shorten it, or send “skip”:",
        "⚠️ Описание — не более 4000 символов (прислано {0}). Сократите или отправьте «пропустить»:");
    public static readonly Localized BadPrize = new("⚠️ Describe the prize in 1 to 1000 characters:", "⚠️ Опишите приз, от 1 до 1000 символов:");
    public static readonly Localized BadPhoto = new("⚠️ Send a photo, an https:// link to an image, or “skip”:", "⚠️ Пришлите фото, ссылку https:// на картинку или «пропустить»:");
    public static readonly Localized BadWinners = new("⚠️ The number of winners is a whole number from 1 to 10000, e.g. 3:",
        "⚠️ Число победителей — целое число от 1 до 10000, например 3:");
    public static readonly Localized BadChannels = new("⚠️ I do not understand “{0}”. Use @name, a -100… id or a t.me/name link (at most 10), or “none”:",
        "⚠️ Не понимаю «{0}». Укажите @name, id вида -100… или ссылку t.me/name (не больше 10) или «нет»:");
    public static readonly Localized BadTime = new("⚠️ I do not understand “{0}”. Use a UTC time such as 2026-12-24 18:00, or a length such as 2h, 7d or 90m:",
        "⚠️ Не понимаю «{0}». Укажите время UTC, например 2026-12-24 18:00, или длительность, например 2h, 7d или 90m:");
    public static readonly Localized StartInPast = new("⚠️ {0} UTC has passed. Send “now” or a later time:", "⚠️ {0} UTC уже прошло. Отправьте «сейчас» или более позднее время:");
    public static readonly Localized EndNotAfterStart = new("⚠️ The end must be after the start ({0} UTC). Send a later time or a length:",
        "⚠️ Конец должен быть позже начала ({0} UTC). Укажите более позднее время или длительность:");
    public static readonly Localized EndInPast = new("⚠️ {0} UTC has passed. Send a later end time or a length:", "⚠️ {0} UTC уже прошло. Укажите более позднее время окончания или длительность:");
    public static readonly Localized BadCondition = new("⚠️ Send a whole number of participants, at least the number of winners ({0}), or press “Only at the end time”:",
        "⚠️ Пришлите целое число участников, не меньше числа победителей ({0}), или нажмите «Только по времени»:");
    public static readonly Localized BadPublishChannel = new("⚠️ Send one channel: @name or a -100… id:", "⚠️ Пришлите один канал: @name или id вида -100…:");
    public static readonly Localized CannotPostIn = new("❌ I cannot post in {0}: make me an administrator allowed to post there, then send it again.",
        "❌ Я не могу публиковать в {0}: сделайте меня администратором с правом публикации и пришлите его снова.");
}
