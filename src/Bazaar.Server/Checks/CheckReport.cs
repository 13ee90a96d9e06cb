using MiniExcelLibs;
using MiniExcelLibs.Attributes;
using MiniExcelLibs.OpenXml;

namespace Bazaar.Server.Checks;

/// <summary>The XLSX report of a check: a summary sheet and one sheet per non-mutual list, with headers, filters and widths.</summary>
public static class CheckReport
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static string FileName(Check c) => $"check-{c.Id}-{(c.Target ?? "instagram")}.xlsx";

    public static byte[] Build(Check c, IReadOnlyList<CheckAccount> accounts, string language)
    {
        var ru = language == Conversations.Languages.Russian;
        string k = ru ? "Показатель" : "Metric", v = ru ? "Значение" : "Value";
        var summary = new List<Dictionary<string, object?>>
        {
            Row(ru ? "Аккаунт" : "Account", c.Target ?? ""),
            Row(ru ? "Подписчики" : "Followers", c.Followers),
            Row(ru ? "Подписки" : "Following", c.Following),
            Row(ru ? "Взаимные" : "Mutual", c.Mutual),
            Row(ru ? "Не подписаны в ответ" : "Not following back", c.NotFollowingBack),
            Row(ru ? "Вы не подписаны в ответ" : "Not followed back", c.NotFollowedBack),
            Row(ru ? "Проверка" : "Check", $"#{c.Id}"),
            Row(ru ? "Готово (UTC)" : "Finished (UTC)", c.FinishedAt?.ToString("yyyy-MM-dd HH:mm")),
        };
        Dictionary<string, object?> Row(string key, object? value) => new() { [k] = key, [v] = value };

        string u = ru ? "Имя пользователя" : "Username", n = ru ? "Имя" : "Full name", l = ru ? "Профиль" : "Profile link",
            d = ru ? "Направление" : "Direction";
        List<Dictionary<string, object?>> Sheet(FollowDirection dir) => accounts.Where(a => a.Direction == dir)
            .Select(a => new Dictionary<string, object?> { [u] = a.Username, [n] = a.FullName ?? "", [l] = a.ProfileUrl, [d] = CheckWords.Direction(dir) })
            .ToList();
        var notBack = Sheet(FollowDirection.NotFollowingBack);
        var notFollowed = Sheet(FollowDirection.NotFollowedBack);
        // An empty list still gets its header row.
        if (notBack.Count == 0) notBack.Add(new() { [u] = "", [n] = "", [l] = "", [d] = "" });
        if (notFollowed.Count == 0) notFollowed.Add(new() { [u] = "", [n] = "", [l] = "", [d] = "" });

        var sheets = new Dictionary<string, object>
        {
            [ru ? "Итоги" : "Summary"] = summary,
            [ru ? "Не подписаны в ответ" : "Not following back"] = notBack,
            [ru ? "Без взаимной подписки" : "Not followed back"] = notFollowed,
        };
        var config = new OpenXmlConfiguration
        {
            AutoFilter = true,
            TableStyles = TableStyles.Default,
            DynamicColumns =
            [
                new DynamicExcelColumn(k) { Width = 28 }, new DynamicExcelColumn(v) { Width = 24 },
                new DynamicExcelColumn(u) { Width = 30 }, new DynamicExcelColumn(n) { Width = 30 },
                new DynamicExcelColumn(l) { Width = 48 }, new DynamicExcelColumn(d) { Width = 22 },
            ],
        };
        using var ms = new MemoryStream();
        ms.SaveAs(sheets, printHeader: true, excelType: ExcelType.XLSX, configuration: config);
        return ms.ToArray();
    }
}
