using Bazaar.Server.Conversations;

namespace Bazaar.Server.MiniApp;

/// <summary>What the bot says about the Mini App, in English and Russian.</summary>
public static class MiniAppTexts
{
    public static readonly Localized OpenShop = new("🛍 Open shop", "🛍 Открыть магазин");
    public static readonly Localized MenuButton = new("Shop", "Магазин");
}
