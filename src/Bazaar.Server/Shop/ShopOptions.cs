namespace Bazaar.Server.Shop;

/// <summary>The <c>Shop</c> section, beside <c>Shop:Currency</c>.</summary>
public sealed class ShopOptions
{
    public string Currency { get; set; } = "USD";
    /// <summary>How long "Buy" holds a unit and its price.</summary>
    public int ReservationMinutes { get; set; } = 15;
    public int MaxActiveReservations { get; set; } = 3;
    /// <summary>Products per page in the bot's list.</summary>
    public int PageSize { get; set; } = 5;
    /// <summary>How long before a subscription ends the renewal button is sent.</summary>
    public int RenewalNoticeHours { get; set; } = 24;
}
