using Bazaar.Server.Conversations;

namespace Bazaar.Server.Broadcasts;

/// <summary>Broadcasts' bot texts in English and Russian (HTML).</summary>
public static class BroadcastTexts
{
    public static readonly Localized AskText = new(
        "📣 <b>New broadcast</b>\nSend the message: text (bold, italic, links keep their formatting) or a photo with a caption. /cancel stops.",
        "📣 <b>Новая рассылка</b>\nОтправьте сообщение: текст (жирный, курсив и ссылки сохранятся) или фото с подписью. /cancel — отмена.");
    public static readonly Localized TextMissing = new("Send the text of the broadcast, or a photo with a caption.",
        "Отправьте текст рассылки или фото с подписью.");
    public static readonly Localized BadContent = new("This cannot be sent: {0}\nSend the message again.", "Это нельзя отправить: {0}\nОтправьте сообщение ещё раз.");
    public static readonly Localized ChooseSegment = new("Who should get it?", "Кому отправить?");
    public static readonly Localized TestHeader = new("👆 This is how recipients will see it (a test copy to you).",
        "👆 Так сообщение увидят получатели (тестовая копия вам).");
    public static readonly Localized Confirm = new("📣 Broadcast #{0} to <b>{1}</b>: <b>{2}</b> recipient(s). Send it?",
        "📣 Рассылка #{0} — <b>{1}</b>: получателей <b>{2}</b>. Отправить?");
    public static readonly Localized NoRecipients = new("Nobody is in “{0}” right now. Pick another group.",
        "В группе «{0}» сейчас никого нет. Выберите другую.");
    public static readonly Localized SendButton = new("✅ Send", "✅ Отправить");
    public static readonly Localized DiscardButton = new("✖️ Discard", "✖️ Отменить");
    public static readonly Localized PauseButton = new("⏸ Pause", "⏸ Пауза");
    public static readonly Localized ResumeButton = new("▶️ Resume", "▶️ Продолжить");
    public static readonly Localized CancelButton = new("⏹ Cancel", "⏹ Остановить");
    public static readonly Localized Discarded = new("Broadcast #{0} discarded; nothing was sent.", "Рассылка #{0} отменена, ничего не отправлено.");
    public static readonly Localized NotChangeable = new("Broadcast #{0} is {1} now, so that cannot be done.", "Рассылка #{0} сейчас в состоянии «{1}», это действие недоступно.");
    public static readonly Localized NotFound = new("There is no broadcast #{0}.", "Рассылки #{0} нет.");

    public static readonly Localized Progress = new(
        "📣 <b>Broadcast #{0}</b> — {1}\nTo: {2}\n✅ Sent: <b>{3}</b> · ❌ failed: {4} · 🚫 blocked: {5}\n⏳ Remaining: <b>{6}</b> of {7}{8}",
        "📣 <b>Рассылка #{0}</b> — {1}\nКому: {2}\n✅ Отправлено: <b>{3}</b> · ❌ ошибок: {4} · 🚫 заблокировали: {5}\n⏳ Осталось: <b>{6}</b> из {7}{8}");
    public static readonly Localized Eta = new("\n🕒 About {0} left", "\n🕒 Примерно {0}");
    public static readonly Localized Preparing = new("preparing", "подготовка");

    public static Localized Status(BroadcastStatus s) => s switch
    {
        BroadcastStatus.Draft => new("draft", "черновик"),
        BroadcastStatus.Running => new("running", "идёт"),
        BroadcastStatus.Paused => new("paused", "на паузе"),
        BroadcastStatus.Cancelled => new("cancelled", "остановлена"),
        _ => new("completed", "завершена"),
    };

    public static string Duration(TimeSpan t, string language) => language == Languages.Russian
        ? t.TotalMinutes >= 1 ? $"{Math.Ceiling(t.TotalMinutes):0} мин" : $"{Math.Ceiling(t.TotalSeconds):0} с"
        : t.TotalMinutes >= 1 ? $"{Math.Ceiling(t.TotalMinutes):0} min" : $"{Math.Ceiling(t.TotalSeconds):0} s";

    public static readonly Localized BroadcastCommand = new("Send a message to many users (admins)", "Рассылка пользователям (для админов)");
}
