using Bazaar.Server.Conversations;

namespace Bazaar.Server.Checks;

/// <summary>The paid checks' bot texts in English and Russian (HTML; placeholders are filled with encoded values).</summary>
public static class CheckTexts
{
    public static readonly Localized CreditsAdded = new(
        "✅ <b>{0}</b> check credits added ({1}). Your balance: <b>{2}</b> credits.\nStart a check with /check.",
        "✅ Начислено <b>{0}</b> кредитов на проверки ({1}). Ваш баланс: <b>{2}</b>.\nЗапустите проверку командой /check.");
    public static readonly Localized CreditsBalance = new("Check credits: <b>{0}</b>", "Кредиты на проверки: <b>{0}</b>");
}
