using Bazaar.Server.Conversations;

namespace Bazaar.Server.Checks;

/// <summary>The paid checks' bot texts in English and Russian (HTML; placeholders are filled with encoded values).</summary>
public static class CheckTexts
{
    public static readonly Localized CreditsBalance = new("Check credits: <b>{0}</b>", "Кредиты на проверки: <b>{0}</b>");
}
