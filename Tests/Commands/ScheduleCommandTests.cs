using System.IO;
using NetGen.CommandLine;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Commands;

public partial class CommandLineTests
{
    [Theory]
    [InlineData(new[] { "train", "minialexnet", "--schedule", "cosinee" }, "--schedule takes plateau, step, cosine or onecycle, not 'cosinee'; did you mean 'cosine'?")]
    [InlineData(new[] { "train", "minialexnet", "--schedule", "onecycle", "--warmup", "2" }, "--warmup is not onecycle's, which rises over its first 30% of steps itself (OneCycleLR's pct_start)")]
    [InlineData(new[] { "train", "minialexnet", "--gamma", "0.5" }, "--gamma is the step schedule's, and the schedule is plateau")]
    [InlineData(new[] { "train", "minialexnet", "--schedule", "cosine", "--patience", "3" }, "--patience is the plateau schedule's, and the schedule is cosine")]
    [InlineData(new[] { "train", "minialexnet", "--schedule", "step", "--min-lr", "0.001" }, "--min-lr is the cosine schedule's, and the schedule is step")]
    public void AScheduleThatIsNotOneOrASettingOfAnotherIsOneLine(string[] args, string message) => AWrongCommandLineIsOneLineAndAPointerToHelp(args, message);

    [Fact]
    public void TrainWithTheCosineScheduleSaysSoAndGivesEachEpochsRates()
    {
        using var folder = new TemporaryFolder();
        var (code, output, _) = Netgen("train", "minialexnet", "--data", TrainCommand.Sample, "--epochs", "2", "--batch", "250", "--device", "cpu",
            "--schedule", "cosine", "--warmup", "1", "--out", Path.Combine(folder.Path, "run"));
        Assert.True(code == 0, output);
        Assert.Contains("label smoothing 0.2, cosine schedule to 0 per step, after a linear warm-up of 1 epoch; 2 epochs", output);
        Assert.Contains("from the command line: schedule, epochs, batch, warm-up\n", output.Replace("\r", ""));
        Assert.Contains("from the paper's defaults: optimizer, momentum, nesterov, weight decay, min lr, padding\n", output.Replace("\r", ""));
        // 12 steps an epoch at 0.05 (MiniAlexNet's): the warm-up's first is 0.05/12, its last 0.05; the cosine's first is 0.05, its last 0.05 (1 + cos(11 pi / 12)) / 2.
        Assert.Contains("epoch 1: lr 0.00417 to 0.05, train loss", output);
        Assert.Contains("epoch 2: lr 0.05 to 0.000852, train loss", output);
    }
}
