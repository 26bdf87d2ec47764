using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NetGen;

/// <summary>One epoch of a run, as <c>metrics.csv</c> records it.</summary>
/// <param name="Epoch">1 for the first.</param>
/// <param name="LearningRate">The rate of the epoch's last step (the rate of all its steps under the plateau schedule).</param>
/// <param name="TrainLoss">Mean cross-entropy over the epoch's training batches (with dropout and augmentation).</param>
/// <param name="TrainError">Top-1 error over the same batches.</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation split.</param>
/// <param name="ValidationTop1Error">Top-1 error on the validation split.</param>
/// <param name="ValidationTop5Error">Top-5 error on the validation split.</param>
/// <param name="Seconds">Wall time of the epoch's training, validation excluded (summed over its sessions when it was resumed).</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
public sealed record EpochRecord(int Epoch, float LearningRate, double TrainLoss, double TrainError, double ValidationLoss,
    double ValidationTop1Error, double ValidationTop5Error, double Seconds, double ImagesPerSecond)
{
    /// <summary>The header line of <c>metrics.csv</c>.</summary>
    public const string CsvHeader = "epoch,learning_rate,train_loss,train_top1_error,val_loss,val_top1_error,val_top5_error,seconds,images_per_second";

    /// <summary>The epoch as a line of <c>metrics.csv</c>.</summary>
    public string ToCsv() => string.Join(',',
        Epoch.ToString(CultureInfo.InvariantCulture), LearningRate.ToString("R", CultureInfo.InvariantCulture),
        F(TrainLoss), F(TrainError), F(ValidationLoss), F(ValidationTop1Error), F(ValidationTop5Error),
        Seconds.ToString("0.0", CultureInfo.InvariantCulture), ImagesPerSecond.ToString("0.0", CultureInfo.InvariantCulture));

    /// <summary>Writes <paramref name="records"/> as <c>metrics.csv</c> to <paramref name="path"/>, atomically.</summary>
    public static void WriteCsv(string path, IEnumerable<EpochRecord> records)
    {
        var text = new StringBuilder(CsvHeader).Append('\n');
        foreach (var record in records)
            text.Append(record.ToCsv()).Append('\n');
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string F(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
