@echo off
rem cospec.cmd, installed by the coSPEC Desktop installer in resources\bin and put on the PATH
rem (resources/build/installer.nsh). The app binary answers the CLI when its first argument is
rem --cospec-cli (src-main/cli/launch.ts); no window opens.
"%~dp0..\..\cospec-desktop.exe" --cospec-cli %*
exit /b %ERRORLEVEL%
