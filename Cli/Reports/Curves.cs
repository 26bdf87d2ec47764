using System.Collections.Generic;
using System.Linq;
using ScottPlot;

namespace NetGen.CommandLine.Reports;

/// <summary>A run's curves as a PNG: the losses on the left, the errors on the right, against the epoch.</summary>
internal static class Curves
{
    /// <summary>Writes the curves of <paramref name="history"/>, titled with the network's name, to <paramref name="path"/>.</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="network">The network's name, for the title.</param>
    /// <param name="history">Every epoch so far.</param>
    /// <param name="training">What makes the training loss differ from the validation loss, for its legend (<see cref="Conditions"/>).</param>
    public static void Write(string path, string network, IReadOnlyList<EpochRecord> history, string training)
    {
        string temporary = path + ".tmp.png";
        Figure(network, history, training).SavePng(temporary, Width, Height);
        System.IO.File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// The training loss's legend: "training", with what the run has of dropout, augmentation and
    /// label smoothing, which each lift the training loss above the validation loss.
    /// </summary>
    public static string Conditions(bool dropout, bool augmentation, float labelSmoothing)
    {
        var parts = new List<string>();
        if (dropout)
            parts.Add("dropout");
        if (augmentation)
            parts.Add("augmentation");
        if (labelSmoothing > 0)
            parts.Add($"label smoothing {labelSmoothing.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        return parts.Count == 0 ? "training" : $"training ({string.Join(", ", parts)})";
    }

    /// <summary>The PNG's size in pixels.</summary>
    public const int Width = 1400, Height = 560;

    /// <summary>The two plots, side by side: the losses, then the errors.</summary>
    internal static Multiplot Figure(string network, IReadOnlyList<EpochRecord> history, string training)
    {
        double[] epochs = history.Select(r => (double)r.Epoch).ToArray();
        var figure = new Multiplot();
        figure.AddPlots(2);
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();

        var loss = figure.GetPlot(0);
        Line(loss, epochs, history.Select(r => r.TrainLoss), training);
        Line(loss, epochs, history.Select(r => r.ValidationLoss), "validation");
        loss.Title($"{network}: cross-entropy");
        loss.XLabel("epoch");
        loss.YLabel("loss");
        loss.ShowLegend(Alignment.UpperRight);

        var error = figure.GetPlot(1);
        Line(error, epochs, history.Select(r => 100 * r.TrainError), "training top-1");
        Line(error, epochs, history.Select(r => 100 * r.ValidationTop1Error), "validation top-1");
        Line(error, epochs, history.Select(r => 100 * r.ValidationTop5Error), "validation top-5");
        error.Title($"{network}: error");
        error.XLabel("epoch");
        error.YLabel("error (%)");
        error.ShowLegend(Alignment.UpperRight);
        foreach (var plot in new[] { loss, error })
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true }; // epochs are whole
        return figure;
    }

    private static void Line(Plot plot, double[] epochs, IEnumerable<double> values, string label)
    {
        var line = plot.Add.Scatter(epochs, values.ToArray());
        line.LegendText = label;
        line.MarkerSize = 6;
    }
}
