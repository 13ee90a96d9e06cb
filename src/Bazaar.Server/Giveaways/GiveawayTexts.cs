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
}
