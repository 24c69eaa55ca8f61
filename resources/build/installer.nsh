; Included by electron-builder's NSIS installer (nsis.include in resources/build/electron-builder.cjs).
; Puts the folder holding cospec.cmd (resources\bin, shipped by win.extraResources) on the user's PATH,
; and takes it off again on uninstall. The user's PATH (HKCU\Environment) because the installer is
; per-user by default (nsis.perMachine: false) and needs no elevation for it.
!include "StrFunc.nsh"
${StrStr}
${UnStrRep}

!define COSPEC_BIN "$INSTDIR\resources\bin"

!macro customInstall
  ReadRegStr $0 HKCU "Environment" "Path"
  ; NSIS strings are bounded (NSIS_MAX_STRLEN): a PATH this long could be cut short by rewriting it,
  ; so leave it alone and say how to add the folder by hand.
  StrLen $1 $0
  IntOp $2 ${NSIS_MAX_STRLEN} - 300
  IntCmp $1 $2 0 0 cospec_path_too_long
  ${StrStr} $3 ";$0;" ";${COSPEC_BIN};"
  StrCmp $3 "" 0 cospec_path_done
  StrCmp $0 "" 0 +3
    StrCpy $0 "${COSPEC_BIN}"
    Goto +2
    StrCpy $0 "$0;${COSPEC_BIN}"
  WriteRegExpandStr HKCU "Environment" "Path" $0
  ; Tell running programs (Explorer, new terminals) that the environment changed.
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
  Goto cospec_path_done
  cospec_path_too_long:
    DetailPrint "PATH is too long to change safely; add ${COSPEC_BIN} to PATH to use the cospec command."
  cospec_path_done:
!macroend

!macro customUnInstall
  ReadRegStr $0 HKCU "Environment" "Path"
  StrLen $1 $0
  IntOp $2 ${NSIS_MAX_STRLEN} - 300
  IntCmp $1 $2 0 0 cospec_unpath_done
  ; Remove exactly our entry, wherever it is, and nothing else.
  StrCpy $0 ";$0;"
  ${UnStrRep} $0 $0 ";${COSPEC_BIN};" ";"
  ; Trim the separators added above.
  StrCpy $2 $0 1
  StrCmp $2 ";" 0 +2
    StrCpy $0 $0 "" 1
  StrCpy $2 $0 1 -1
  StrCmp $2 ";" 0 +2
    StrCpy $0 $0 -1
  WriteRegExpandStr HKCU "Environment" "Path" $0
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
  cospec_unpath_done:
!macroend
