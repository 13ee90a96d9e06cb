using System.IO.Compression;
using Bazaar.Server.Checks;
using MiniExcelLibs;

namespace Bazaar.Tests.Checks;

public sealed class CheckReportTests
{
    [Fact]
    public void Every_sheet_has_a_header_row_a_filter_and_column_widths_and_reads_back()
    {
        var check = new Check
        {
            Id = 7, Channel = "telegram", ChatId = "1", Target = "acme", Status = CheckStatus.Completed, Followers = 2, Following = 2, Mutual = 1,
            NotFollowingBack = 1, NotFollowedBack = 1, FinishedAt = new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc),
        };
        CheckAccount[] accounts =
        [
            new() { CheckId = 7, Direction = FollowDirection.NotFollowingBack, Username = "bob", ProfileUrl = "https://www.instagram.com/bob/" },
            new() { CheckId = 7, Direction = FollowDirection.NotFollowedBack, Username = "кира", FullName = "Кира", ProfileUrl = "https://www.instagram.com/кира/" },
        ];
        var bytes = CheckReport.Build(check, accounts, "ru");

        using (var zip = new ZipArchive(new MemoryStream(bytes)))
        {
            var sheets = zip.Entries.Where(e => e.FullName.StartsWith("xl/worksheets/sheet", StringComparison.Ordinal)).OrderBy(e => e.FullName).ToList();
            Assert.Equal(3, sheets.Count);
            var widths = new List<double[]>();
            foreach (var s in sheets)
            {
                var xml = new StreamReader(s.Open()).ReadToEnd();
                Assert.Matches("<(x:)?autoFilter ref=\"A1:[A-Z]+\\d+\"", xml);
                widths.Add(System.Text.RegularExpressions.Regex.Matches(xml, "<(?:x:)?col [^>]*width=\"([\\d.]+)\"")
                    .Select(m => Math.Floor(double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))).ToArray());
            }
            // The widths set in the report, column by column (MiniExcel adds a few pixels of padding to each): the
            // summary's two, then username, name, link, direction.
            Assert.Equal([28.0, 24.0], widths[0]);
            Assert.Equal([30.0, 30.0, 48.0, 22.0], widths[1]);
            Assert.Equal([30.0, 30.0, 48.0, 22.0], widths[2]);
        }
        using var ms = new MemoryStream(bytes);
        Assert.Equal(["Итоги", "Не подписаны в ответ", "Без взаимной подписки"], MiniExcel.GetSheetNames(ms));
        ms.Position = 0;
        var rows = ms.Query(useHeaderRow: true, sheetName: "Без взаимной подписки").Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal("кира", Assert.Single(rows)["Имя пользователя"]);
        Assert.Equal("Кира", rows[0]["Имя"]);
    }
}
