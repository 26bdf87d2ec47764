using NetGen.Tests.Commands;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Training;
using Xunit.Abstractions;

namespace NetGen.Tests.Interchange;

/// <summary>
/// The generated PyTorch twin (<c>netgen export --pytorch</c>) takes one step equal to <c>netgen step</c>:
/// <c>torch_step.py compare --twin</c> loads netgen's weights into the twin with
/// <c>load_state_dict(strict=True)</c> and diffs the logits, the loss, every gradient and every
/// running statistic against the twin in float64 (normwise 1e-3, as for the hand-written references).
/// Needs <c>/usr/bin/python3</c> with torch (skipped, saying why, where it cannot import it).
/// </summary>
[Collection(ConsoleCollection.Name)]
public class TwinTorchTests(ITestOutputHelper output)
{
    [TorchTheory]
    // AlexNet without dropout (the twin's masks would be torch's draws), in eval mode. Input seed 4
    // at scale 128 keeps float32 away from max-pool near ties, which the hand-written reference
    // routes as netgen did (NearTieRoutes) and the twin does not: seed 3 puts a window of conv2's pool
    // within float32's reach of a tie and moves conv1's gradient by 1%.
    [InlineData("alexnet", "eval", "4", "128")]
    // ResNet8 in training mode: batch statistics, the running statistics' update, the residual adds.
    [InlineData("resnet8", "train", "3", "1")]
    public void TheTwinsStepEqualsNetgenStep(string network, string mode, string inputSeed, string scale)
    {
        using var folder = new TemporaryFolder();
        string weights = folder.File("W.safetensors"), batch = folder.File("X.safetensors"), result = folder.File("O.safetensors"), twin = folder.File("twin.py");

        Netgen("init", network, "--seed", "1", "--out", weights);
        Netgen("export", network, "--pytorch", twin);
        TorchReference.Run(output, "input", "--network", network, "--batch", "2", "--seed", inputSeed, "--scale", scale, "--out", batch);
        Netgen(["step", network, "--weights", weights, "--input", batch, "--out", result, .. mode == "eval" ? new[] { "--no-dropout" } : []]);
        TorchReference.Run(output, "compare", "--network", network, "--twin", twin, "--mode", mode, "--weights", weights, "--input", batch,
            "--netgen", result, "--tolerance", "1e-3");
    }

    private void Netgen(params string[] args)
    {
        var (code, text, error) = CommandLineTests.Netgen(args);
        output.WriteLine($"netgen {string.Join(' ', args)}\n{text}{error}");
        Assert.True(code == 0, $"netgen {string.Join(' ', args)} exited with {code}:\n{text}{error}");
    }
}
