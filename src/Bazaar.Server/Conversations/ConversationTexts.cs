namespace Bazaar.Server.Conversations;

public static class ConversationTexts
{
    public static readonly Localized StartCommand = new("Start over", "Начать сначала");
    public static readonly Localized HelpCommand = new("What I can do", "Что я умею");
    public static readonly Localized CancelCommand = new("Cancel the current step", "Отменить текущий шаг");

    public static string Greeting(string language, string name) => language == Languages.Russian
        ? $"Привет, {Html(name)}! Я бот магазина Bazaar. Нажмите кнопку ниже или отправьте /help."
        : $"Hello, {Html(name)}! I am the Bazaar shop bot. Press a button below or send /help.";

    public static readonly Localized HelpButton = new("📋 Commands", "📋 Команды");
    public static readonly Localized HelpHeader = new("Here is what I can do:", "Вот что я умею:");
    public static readonly Localized UnknownCommand = new("I don't know the command /{0}.", "Я не знаю команду /{0}.");
    public static readonly Localized AvailableCommands = new("Available commands:", "Доступные команды:");
    public static readonly Localized NotUnderstood = new(
        "I didn't understand that. Send /help to see what I can do.",
        "Я не понял. Отправьте /help, чтобы узнать, что я умею.");
    public static readonly Localized SlowDown = new(
        "You're going a bit fast. Please slow down and try again in {0} s.",
        "Слишком много запросов. Пожалуйста, подождите и попробуйте снова через {0} с.");
    public static readonly Localized Cancelled = new("Cancelled.", "Отменено.");
    public static readonly Localized NothingToCancel = new("There is nothing to cancel.", "Нечего отменять.");
    public static readonly Localized ButtonExpired = new("This button no longer works.", "Эта кнопка больше не работает.");
    public static readonly Localized PaymentUnavailable = new("This payment is no longer available.", "Этот платёж больше недоступен.");

    public static string Html(string s) => System.Net.WebUtility.HtmlEncode(s);
}
