// netgen: NetGen's command line, for the reference networks the runtime declares (AlexNet and
// MiniAlexNet, Runtime/Networks/) and any network declared in a file of this project.
return NetGen.Cli.Run(args);
