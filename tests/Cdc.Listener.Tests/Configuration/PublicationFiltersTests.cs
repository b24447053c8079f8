using Cdc.Listener.Configuration;

namespace Cdc.Listener.Tests.Configuration;

public sealed class PublicationFiltersTests
{
    private static readonly string[] CustomerColumns = ["id", "name", "email", "ssn"];

    [Fact]
    public void Left_out_columns_become_the_column_list_in_table_order_and_a_row_filter_its_WHERE()
    {
        var filters = PublicationFilters.From(new CdcOptions
        {
            ExcludeColumns = { ["public.customers"] = ["ssn", "email"] },
            RowFilters = { ["customers"] = " region = 'eu' ", ["sales.orders"] = "total > 0" },
        });

        Assert.Equal("\"public\".\"customers\" (\"id\", \"name\") WHERE (region = 'eu')", filters.For("public.customers")!.Entry("\"public\".\"customers\"", CustomerColumns));
        Assert.Equal("\"sales\".\"orders\" WHERE (total > 0)", filters.For("sales.orders")!.Entry("\"sales\".\"orders\"", ["id", "total"]));
        Assert.Null(filters.For("public.orders"));
        Assert.Equal("Cdc:ExcludeColumns and Cdc:RowFilters", filters.SettingNames);
    }

    [Fact]
    public void No_filters_is_empty()
    {
        Assert.True(PublicationFilters.From(new CdcOptions()).IsEmpty);
    }

    [Fact]
    public void A_column_the_table_does_not_have_is_refused_naming_the_ones_it_has()
    {
        var filter = PublicationFilters.From(new CdcOptions { ExcludeColumns = { ["public.customers"] = ["emial"] } }).For("public.customers")!;
        var e = Assert.Throws<CdcConfigurationException>(() => filter.Entry("\"public\".\"customers\"", CustomerColumns));
        Assert.Equal("Cdc:ExcludeColumns:public.customers names emial, not a column of public.customers (it has id, name, email, ssn)", e.Message);
    }

    [Fact]
    public void Leaving_out_every_column_is_refused()
    {
        var filter = PublicationFilters.From(new CdcOptions { ExcludeColumns = { ["public.t"] = ["a", "b"] } }).For("public.t")!;
        var e = Assert.Throws<CdcConfigurationException>(() => filter.Entry("\"public\".\"t\"", ["a", "b"]));
        Assert.Contains("leaves out every column of public.t", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("public.", "Cdc:ExcludeColumns:public. is not a table name: use schema.table (e.g. public.customers) or a table of schema public")]
    [InlineData("a.b.c", "Cdc:ExcludeColumns:a.b.c is not a table name")]
    public void A_key_that_is_not_a_table_name_is_refused(string table, string expected)
    {
        var e = Assert.Throws<CdcConfigurationException>(() => PublicationFilters.From(new CdcOptions { ExcludeColumns = { [table] = ["x"] } }));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_condition_or_column_list_is_refused()
    {
        Assert.Contains("is empty", Assert.Throws<CdcConfigurationException>(() =>
            PublicationFilters.From(new CdcOptions { RowFilters = { ["public.t"] = "  " } })).Message, StringComparison.Ordinal);
        Assert.Contains("holds ';'", Assert.Throws<CdcConfigurationException>(() =>
            PublicationFilters.From(new CdcOptions { RowFilters = { ["public.t"] = "true); DROP TABLE t; --" } })).Message, StringComparison.Ordinal);
        Assert.Contains("needs column names", Assert.Throws<CdcConfigurationException>(() =>
            PublicationFilters.From(new CdcOptions { ExcludeColumns = { ["public.t"] = [] } })).Message, StringComparison.Ordinal);
    }
}
