using Bazaar.Server.Conversations;

namespace Bazaar.Server.Guides;

/// <summary>The guides' bot texts in English and Russian (HTML).</summary>
public static class GuideTexts
{
    public static readonly Localized GuideCommand = new("Guides: how things work here", "Справка: как здесь всё устроено");
    public static readonly Localized HelpLine = new("📖 <b>Guides</b>: tap a topic, or send /guide &lt;topic&gt;.",
        "📖 <b>Справка</b>: выберите тему или отправьте /guide &lt;тема&gt;.");
    public static readonly Localized Menu = new("📖 <b>Guides</b>\nChoose a topic:", "📖 <b>Справка</b>\nВыберите тему:");
    public static readonly Localized NoGuides = new("There are no guides yet. /help lists what the bot can do.",
        "Справки пока нет. /help — что умеет бот.");
    public static readonly Localized Unknown = new("There is no guide “{0}”. Topics: {1}\nSend /guide &lt;topic&gt; or tap one below.",
        "Справки «{0}» нет. Темы: {1}\nОтправьте /guide &lt;тема&gt; или выберите ниже.");
    public static readonly Localized AllTopics = new("⬅️ All topics", "⬅️ Все темы");
}
